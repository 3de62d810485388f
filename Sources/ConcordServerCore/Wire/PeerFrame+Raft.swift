import ConcordFoundation
import ConcordRaft

/// The body of a `PeerFrame.raft` frame: a Raft message after the frame's
/// header (which carries its sender and receiver).
///
/// Layout: the term (8 bytes), a body tag byte, then the body's fields in
/// declaration order. Integers are little-endian; byte strings and lists are
/// a 4-byte length then their contents. An unknown tag or entry kind, a
/// count beyond the bytes present or any leftover byte is refused with a
/// `WireError`.
enum RaftMessageCoding {
    enum Tag: UInt8 {
        case appendEntries = 1, appendResponse, heartbeat, heartbeatResponse, voteRequest, voteResponse
        case snapshotChunk, snapshotChunkResponse, timeoutNow, forwardedProposal, readIndexRequest, readIndexResponse
    }

    /// Writes `message`'s term and body.
    static func write(_ message: RaftMessage, to writer: inout BinaryWriter) {
        writer.writeFixed(message.term)
        switch message.body {
        case .appendEntries(let append):
            writer.writeByte(Tag.appendEntries.rawValue)
            writer.writeFixed(append.previousIndex)
            writer.writeFixed(append.previousTerm)
            writer.writeFixed(append.leaderCommit)
            writer.writeFixed(UInt32(append.entries.count))
            for entry in append.entries { write(entry, to: &writer) }
        case .appendResponse(let response):
            writer.writeByte(Tag.appendResponse.rawValue)
            writer.writeBool(response.rejected)
            writer.writeFixed(response.index)
            writer.writeFixed(response.hintIndex)
            writer.writeBool(response.hintTerm != nil)
            writer.writeFixed(response.hintTerm ?? 0)
        case .heartbeat(let heartbeat):
            writer.writeByte(Tag.heartbeat.rawValue)
            writer.writeFixed(heartbeat.commit)
            writer.writeFixed(heartbeat.readRound)
            writer.writeFixed(heartbeat.sentTick)
        case .heartbeatResponse(let response):
            writer.writeByte(Tag.heartbeatResponse.rawValue)
            writer.writeFixed(response.readRound)
            writer.writeFixed(response.sentTick)
        case .voteRequest(let request):
            writer.writeByte(Tag.voteRequest.rawValue)
            writer.writeFixed(request.lastLogIndex)
            writer.writeFixed(request.lastLogTerm)
            writer.writeBool(request.isPreVote)
            writer.writeBool(request.isLeadershipTransfer)
        case .voteResponse(let response):
            writer.writeByte(Tag.voteResponse.rawValue)
            writer.writeBool(response.granted)
            writer.writeBool(response.isPreVote)
        case .snapshotChunk(let chunk):
            writer.writeByte(Tag.snapshotChunk.rawValue)
            write(chunk.metadata, to: &writer)
            writer.writeFixed(UInt64(chunk.offset))
            writer.writeFixedLengthBytes(chunk.data)
            writer.writeBool(chunk.isLast)
        case .snapshotChunkResponse(let response):
            writer.writeByte(Tag.snapshotChunkResponse.rawValue)
            writer.writeFixed(response.snapshotIndex)
            writer.writeFixed(UInt64(response.chunkOffset))
            writer.writeFixed(UInt64(response.nextOffset))
            writer.writeBool(response.rejected)
        case .timeoutNow:
            writer.writeByte(Tag.timeoutNow.rawValue)
        case .forwardedProposal(let entries):
            writer.writeByte(Tag.forwardedProposal.rawValue)
            writer.writeFixed(UInt32(entries.count))
            for entry in entries {
                writer.writeByte(entry.kind.rawValue)
                writer.writeFixedLengthBytes(entry.data)
            }
        case .readIndexRequest(let context):
            writer.writeByte(Tag.readIndexRequest.rawValue)
            writer.writeFixed(context)
        case .readIndexResponse(let index, let context):
            writer.writeByte(Tag.readIndexResponse.rawValue)
            writer.writeFixed(index)
            writer.writeFixed(context)
        }
    }

    /// Reads a message from `from` to `to` whose term and body `write`
    /// wrote, to the end of the frame.
    /// - Throws: `WireError` for anything malformed.
    static func read(from: UInt64, to: UInt64, _ reader: inout BinaryReader) throws(WireError) -> RaftMessage {
        let term = try reader.wireUInt64()
        let tagByte = try reader.wireByte()
        guard let tag = Tag(rawValue: tagByte) else { throw .invalid("unknown message tag \(tagByte)") }
        let body: RaftMessage.Body
        switch tag {
        case .appendEntries:
            let previousIndex = try reader.wireUInt64()
            let previousTerm = try reader.wireUInt64()
            let leaderCommit = try reader.wireUInt64()
            let count = Int(try reader.wireUInt32())
            // Each entry takes at least 21 bytes: refuse absurd counts early.
            guard count <= reader.remainingCount / 21 else { throw .invalid("entry count \(count) exceeds the message") }
            var entries: [LogEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try readEntry(&reader)) }
            body = .appendEntries(.init(previousIndex: previousIndex, previousTerm: previousTerm, entries: entries, leaderCommit: leaderCommit))
        case .appendResponse:
            let rejected = try reader.wireBool()
            let index = try reader.wireUInt64()
            let hintIndex = try reader.wireUInt64()
            let hasHintTerm = try reader.wireBool()
            let hintTerm = try reader.wireUInt64()
            body = .appendResponse(.init(rejected: rejected, index: index, hintIndex: hintIndex, hintTerm: hasHintTerm ? hintTerm : nil))
        case .heartbeat:
            body = .heartbeat(.init(commit: try reader.wireUInt64(), readRound: try reader.wireUInt64(), sentTick: try reader.wireUInt64()))
        case .heartbeatResponse:
            body = .heartbeatResponse(.init(readRound: try reader.wireUInt64(), sentTick: try reader.wireUInt64()))
        case .voteRequest:
            body = .voteRequest(
                .init(
                    lastLogIndex: try reader.wireUInt64(), lastLogTerm: try reader.wireUInt64(),
                    isPreVote: try reader.wireBool(), isLeadershipTransfer: try reader.wireBool()))
        case .voteResponse:
            body = .voteResponse(.init(granted: try reader.wireBool(), isPreVote: try reader.wireBool()))
        case .snapshotChunk:
            let metadata = try readMetadata(&reader)
            let offset = try reader.wireCount()
            let data = try reader.wireBytes()
            let isLast = try reader.wireBool()
            body = .snapshotChunk(.init(metadata: metadata, offset: offset, data: data, isLast: isLast))
        case .snapshotChunkResponse:
            body = .snapshotChunkResponse(
                .init(
                    snapshotIndex: try reader.wireUInt64(), chunkOffset: try reader.wireCount(), nextOffset: try reader.wireCount(),
                    rejected: try reader.wireBool()))
        case .timeoutNow:
            body = .timeoutNow
        case .forwardedProposal:
            let count = Int(try reader.wireUInt32())
            guard count <= reader.remainingCount / 5 else { throw .invalid("proposal count \(count) exceeds the message") }
            var entries: [ProposedEntry] = []
            for _ in 0..<count {
                let kind = try readKind(&reader)
                entries.append(ProposedEntry(kind: kind, data: try reader.wireBytes()))
            }
            body = .forwardedProposal(entries)
        case .readIndexRequest:
            body = .readIndexRequest(context: try reader.wireUInt64())
        case .readIndexResponse:
            body = .readIndexResponse(index: try reader.wireUInt64(), context: try reader.wireUInt64())
        }
        try reader.wireEnd("message")
        return RaftMessage(from: from, to: to, term: term, body: body)
    }

    private static func write(_ entry: LogEntry, to writer: inout BinaryWriter) {
        writer.writeFixed(entry.index)
        writer.writeFixed(entry.term)
        writer.writeByte(entry.kind.rawValue)
        writer.writeFixedLengthBytes(entry.data)
    }

    private static func readEntry(_ reader: inout BinaryReader) throws(WireError) -> LogEntry {
        let index = try reader.wireUInt64()
        let term = try reader.wireUInt64()
        let kind = try readKind(&reader)
        return LogEntry(index: index, term: term, kind: kind, data: try reader.wireBytes())
    }

    private static func readKind(_ reader: inout BinaryReader) throws(WireError) -> LogEntry.Kind {
        let byte = try reader.wireByte()
        guard let kind = LogEntry.Kind(rawValue: byte) else { throw .invalid("unknown entry kind \(byte)") }
        return kind
    }

    private static func write(_ metadata: SnapshotMetadata, to writer: inout BinaryWriter) {
        writer.writeFixed(metadata.index)
        writer.writeFixed(metadata.term)
        let configuration = metadata.configuration
        writer.writeBool(configuration.autoLeave)
        for set in [configuration.voters, configuration.votersOutgoing, configuration.learners, configuration.learnersNext] {
            writer.writeFixed(UInt32(set.count))
            for replica in set.sorted() { writer.writeFixed(replica) }
        }
    }

    private static func readMetadata(_ reader: inout BinaryReader) throws(WireError) -> SnapshotMetadata {
        let index = try reader.wireUInt64()
        let term = try reader.wireUInt64()
        let autoLeave = try reader.wireBool()
        var sets: [Set<MemberID>] = []
        for _ in 0..<4 {
            let count = Int(try reader.wireUInt32())
            guard count <= reader.remainingCount / 8 else { throw .invalid("replica count \(count) exceeds the message") }
            var set = Set<MemberID>()
            for _ in 0..<count { set.insert(try reader.wireUInt64()) }
            sets.append(set)
        }
        let configuration = ConfigurationState(
            voters: sets[0], votersOutgoing: sets[1], learners: sets[2], learnersNext: sets[3], autoLeave: autoLeave)
        return SnapshotMetadata(index: index, term: term, configuration: configuration)
    }
}
