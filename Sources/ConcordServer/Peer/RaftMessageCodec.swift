import ConcordRaft

/// The peer wire format of `RaftMessage`: what ConcordServer puts in a
/// transport frame.
///
/// Layout: a format version byte (1), the cluster id (8 bytes), from, to and
/// term (8 bytes each), a body tag byte, then the body's fields in
/// declaration order. Integers are little-endian; byte strings and lists are
/// a 4-byte length then their contents. A frame for another cluster, an
/// unknown tag or any leftover byte is refused with a `WireError`.
public enum RaftMessageCodec {
    /// The format version written and accepted.
    public static let version: UInt8 = 1

    enum Tag: UInt8 {
        case appendEntries = 1, appendResponse, heartbeat, heartbeatResponse, voteRequest, voteResponse
        case snapshotChunk, snapshotChunkResponse, timeoutNow, forwardedProposal, readIndexRequest, readIndexResponse
    }

    /// Encodes a message of cluster `clusterID`.
    public static func encode(_ message: RaftMessage, clusterID: UInt64) -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        writer.writePeerHeader(version: version, clusterID: clusterID, from: message.from, to: message.to)
        writer.write(message.term)
        switch message.body {
        case .appendEntries(let append):
            writer.write(Tag.appendEntries.rawValue)
            writer.write(append.previousIndex)
            writer.write(append.previousTerm)
            writer.write(append.leaderCommit)
            writer.write(UInt32(append.entries.count))
            for entry in append.entries { write(entry, to: &writer) }
        case .appendResponse(let response):
            writer.write(Tag.appendResponse.rawValue)
            writer.write(response.rejected)
            writer.write(response.index)
            writer.write(response.hintIndex)
            writer.write(response.hintTerm != nil)
            writer.write(response.hintTerm ?? 0)
        case .heartbeat(let heartbeat):
            writer.write(Tag.heartbeat.rawValue)
            writer.write(heartbeat.commit)
            writer.write(heartbeat.readRound)
            writer.write(heartbeat.sentTick)
        case .heartbeatResponse(let response):
            writer.write(Tag.heartbeatResponse.rawValue)
            writer.write(response.readRound)
            writer.write(response.sentTick)
        case .voteRequest(let request):
            writer.write(Tag.voteRequest.rawValue)
            writer.write(request.lastLogIndex)
            writer.write(request.lastLogTerm)
            writer.write(request.isPreVote)
            writer.write(request.isLeadershipTransfer)
        case .voteResponse(let response):
            writer.write(Tag.voteResponse.rawValue)
            writer.write(response.granted)
            writer.write(response.isPreVote)
        case .snapshotChunk(let chunk):
            writer.write(Tag.snapshotChunk.rawValue)
            write(chunk.metadata, to: &writer)
            writer.write(chunk.offset)
            writer.write(bytes: chunk.data)
            writer.write(chunk.isLast)
        case .snapshotChunkResponse(let response):
            writer.write(Tag.snapshotChunkResponse.rawValue)
            writer.write(response.snapshotIndex)
            writer.write(response.nextOffset)
            writer.write(response.rejected)
        case .timeoutNow:
            writer.write(Tag.timeoutNow.rawValue)
        case .forwardedProposal(let entries):
            writer.write(Tag.forwardedProposal.rawValue)
            writer.write(UInt32(entries.count))
            for entry in entries {
                writer.write(entry.kind.rawValue)
                writer.write(bytes: entry.data)
            }
        case .readIndexRequest(let context):
            writer.write(Tag.readIndexRequest.rawValue)
            writer.write(context)
        case .readIndexResponse(let index, let context):
            writer.write(Tag.readIndexResponse.rawValue)
            writer.write(index)
            writer.write(context)
        }
        return writer.bytes
    }

    /// Decodes a message, refusing one of another cluster.
    /// - Throws: `WireError` for anything malformed.
    public static func decode(_ bytes: [UInt8], clusterID: UInt64) throws(WireError) -> RaftMessage {
        var reader = WireReader(bytes)
        let (from, to) = try reader.readPeerHeader(version: Self.version, clusterID: clusterID)
        let term = try reader.readUInt64()
        let tagByte = try reader.readByte()
        guard let tag = Tag(rawValue: tagByte) else { throw .invalid("unknown message tag \(tagByte)") }
        let body: RaftMessage.Body
        switch tag {
        case .appendEntries:
            let previousIndex = try reader.readUInt64()
            let previousTerm = try reader.readUInt64()
            let leaderCommit = try reader.readUInt64()
            let count = Int(try reader.readUInt32())
            // Each entry takes at least 21 bytes: refuse absurd counts early.
            guard count <= reader.remaining / 21 else { throw .invalid("entry count \(count) exceeds the message") }
            var entries: [LogEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try readEntry(&reader)) }
            body = .appendEntries(.init(previousIndex: previousIndex, previousTerm: previousTerm, entries: entries, leaderCommit: leaderCommit))
        case .appendResponse:
            let rejected = try reader.readBool()
            let index = try reader.readUInt64()
            let hintIndex = try reader.readUInt64()
            let hasHintTerm = try reader.readBool()
            let hintTerm = try reader.readUInt64()
            body = .appendResponse(.init(rejected: rejected, index: index, hintIndex: hintIndex, hintTerm: hasHintTerm ? hintTerm : nil))
        case .heartbeat:
            body = .heartbeat(.init(commit: try reader.readUInt64(), readRound: try reader.readUInt64(), sentTick: try reader.readUInt64()))
        case .heartbeatResponse:
            body = .heartbeatResponse(.init(readRound: try reader.readUInt64(), sentTick: try reader.readUInt64()))
        case .voteRequest:
            body = .voteRequest(
                .init(
                    lastLogIndex: try reader.readUInt64(), lastLogTerm: try reader.readUInt64(),
                    isPreVote: try reader.readBool(), isLeadershipTransfer: try reader.readBool()))
        case .voteResponse:
            body = .voteResponse(.init(granted: try reader.readBool(), isPreVote: try reader.readBool()))
        case .snapshotChunk:
            let metadata = try readMetadata(&reader)
            let offset = try reader.readCount()
            let data = try reader.readBytes()
            let isLast = try reader.readBool()
            body = .snapshotChunk(.init(metadata: metadata, offset: offset, data: data, isLast: isLast))
        case .snapshotChunkResponse:
            body = .snapshotChunkResponse(
                .init(snapshotIndex: try reader.readUInt64(), nextOffset: try reader.readCount(), rejected: try reader.readBool()))
        case .timeoutNow:
            body = .timeoutNow
        case .forwardedProposal:
            let count = Int(try reader.readUInt32())
            guard count <= reader.remaining / 5 else { throw .invalid("proposal count \(count) exceeds the message") }
            var entries: [ProposedEntry] = []
            for _ in 0..<count {
                let kind = try readKind(&reader)
                entries.append(ProposedEntry(kind: kind, data: try reader.readBytes()))
            }
            body = .forwardedProposal(entries)
        case .readIndexRequest:
            body = .readIndexRequest(context: try reader.readUInt64())
        case .readIndexResponse:
            body = .readIndexResponse(index: try reader.readUInt64(), context: try reader.readUInt64())
        }
        guard reader.isAtEnd else { throw .invalid("\(reader.remaining) bytes after the message") }
        return RaftMessage(from: from, to: to, term: term, body: body)
    }

    private static func write(_ entry: LogEntry, to writer: inout WireWriter) {
        writer.write(entry.index)
        writer.write(entry.term)
        writer.write(entry.kind.rawValue)
        writer.write(bytes: entry.data)
    }

    private static func readEntry(_ reader: inout WireReader) throws(WireError) -> LogEntry {
        let index = try reader.readUInt64()
        let term = try reader.readUInt64()
        let kind = try readKind(&reader)
        return LogEntry(index: index, term: term, kind: kind, data: try reader.readBytes())
    }

    private static func readKind(_ reader: inout WireReader) throws(WireError) -> LogEntry.Kind {
        let byte = try reader.readByte()
        guard let kind = LogEntry.Kind(rawValue: byte) else { throw .invalid("unknown entry kind \(byte)") }
        return kind
    }

    private static func write(_ metadata: SnapshotMetadata, to writer: inout WireWriter) {
        writer.write(metadata.index)
        writer.write(metadata.term)
        let configuration = metadata.configuration
        writer.write(configuration.autoLeave)
        for set in [configuration.voters, configuration.votersOutgoing, configuration.learners, configuration.learnersNext] {
            writer.write(UInt32(set.count))
            for replica in set.sorted() { writer.write(replica) }
        }
    }

    private static func readMetadata(_ reader: inout WireReader) throws(WireError) -> SnapshotMetadata {
        let index = try reader.readUInt64()
        let term = try reader.readUInt64()
        let autoLeave = try reader.readBool()
        var sets: [Set<ReplicaID>] = []
        for _ in 0..<4 {
            let count = Int(try reader.readUInt32())
            guard count <= reader.remaining / 8 else { throw .invalid("replica count \(count) exceeds the message") }
            var set = Set<ReplicaID>()
            for _ in 0..<count { set.insert(try reader.readUInt64()) }
            sets.append(set)
        }
        let configuration = ConfigurationState(
            voters: sets[0], votersOutgoing: sets[1], learners: sets[2], learnersNext: sets[3], autoLeave: autoLeave)
        return SnapshotMetadata(index: index, term: term, configuration: configuration)
    }
}
