import ConcordFoundation
import ConcordPaxos

/// The body of a `PeerFrame.multiPaxos` frame: a Multi-Paxos message after
/// the frame's header (which carries its sender and receiver as member ids).
///
/// Layout: the ballot (`Ballot.rawValue`, 8 bytes), a body tag byte, then
/// the body's fields in declaration order. Integers are little-endian; byte
/// strings and lists are a 4-byte length then their contents; a slot is
/// its number, its ballot, its kind byte (0 vacant, 1 command, 2 no-op) and
/// its data. An unknown tag or slot kind, a no-op or vacant slot with data,
/// a count beyond the bytes present or any leftover byte is refused with a
/// `WireError`.
enum MultiPaxosMessageCoding {
    enum Tag: UInt8 {
        case prepare = 1, promise, reject, accept, acceptResponse, heartbeat, heartbeatResponse
        case snapshotChunk, snapshotChunkResponse, timeoutNow, forwardedProposal, readIndexRequest, readIndexResponse
    }

    /// The fewest bytes a slot takes: slot, ballot, kind, data length.
    static let slotBytesMin = 21

    /// Writes `message`'s ballot and body.
    static func write(_ message: MultiPaxosMessage, to writer: inout BinaryWriter) {
        writer.writeFixed(message.ballot.rawValue)
        switch message.body {
        case .prepare(let prepare):
            writer.writeByte(Tag.prepare.rawValue)
            writer.writeFixed(prepare.fromSlot)
            writer.writeBool(prepare.isLeadershipTransfer)
        case .promise(let promise):
            writer.writeByte(Tag.promise.rawValue)
            writer.writeFixed(promise.commit)
            writer.writeBool(promise.snapshot != nil)
            if let snapshot = promise.snapshot {
                writer.writeFixed(snapshot.index)
                writer.writeFixedLengthBytes(snapshot.data)
            }
            write(promise.entries, to: &writer)
        case .reject(let promised):
            writer.writeByte(Tag.reject.rawValue)
            writer.writeFixed(promised.rawValue)
        case .accept(let accept):
            writer.writeByte(Tag.accept.rawValue)
            writer.writeFixed(accept.firstSlot)
            writer.writeFixed(accept.leaderCommit)
            write(accept.entries, to: &writer)
        case .acceptResponse(let response):
            writer.writeByte(Tag.acceptResponse.rawValue)
            writer.writeFixed(response.agreedThrough)
            writer.writeFixed(response.lastReceived)
            writer.writeFixed(response.commit)
        case .heartbeat(let heartbeat):
            writer.writeByte(Tag.heartbeat.rawValue)
            writer.writeFixed(heartbeat.commit)
            writer.writeFixed(heartbeat.readRound)
            writer.writeFixed(heartbeat.sentTick)
        case .heartbeatResponse(let response):
            writer.writeByte(Tag.heartbeatResponse.rawValue)
            writer.writeFixed(response.readRound)
            writer.writeFixed(response.sentTick)
            writer.writeFixed(response.agreedThrough)
            writer.writeFixed(response.commit)
        case .snapshotChunk(let chunk):
            writer.writeByte(Tag.snapshotChunk.rawValue)
            writer.writeFixed(chunk.index)
            writer.writeFixed(UInt64(chunk.offset))
            writer.writeFixedLengthBytes(chunk.data)
            writer.writeBool(chunk.isLast)
        case .snapshotChunkResponse(let response):
            writer.writeByte(Tag.snapshotChunkResponse.rawValue)
            writer.writeFixed(response.index)
            writer.writeFixed(UInt64(response.nextOffset))
            writer.writeBool(response.rejected)
        case .timeoutNow:
            writer.writeByte(Tag.timeoutNow.rawValue)
        case .forwardedProposal(let commands):
            writer.writeByte(Tag.forwardedProposal.rawValue)
            writer.writeFixed(UInt32(commands.count))
            for command in commands { writer.writeFixedLengthBytes(command) }
        case .readIndexRequest(let context):
            writer.writeByte(Tag.readIndexRequest.rawValue)
            writer.writeFixed(context)
        case .readIndexResponse(let index, let context):
            writer.writeByte(Tag.readIndexResponse.rawValue)
            writer.writeFixed(index)
            writer.writeFixed(context)
        }
    }

    /// Reads a message from `from` to `to` whose ballot and body `write`
    /// wrote, to the end of the frame.
    /// - Throws: `WireError` for anything malformed.
    static func read(from: UInt64, to: UInt64, _ reader: inout BinaryReader) throws(WireError) -> MultiPaxosMessage {
        let ballot = Ballot(rawValue: try reader.wireUInt64())
        let tagByte = try reader.wireByte()
        guard let tag = Tag(rawValue: tagByte) else { throw .invalid("unknown Multi-Paxos message tag \(tagByte)") }
        let body: MultiPaxosMessage.Body
        switch tag {
        case .prepare:
            body = .prepare(.init(fromSlot: try reader.wireUInt64(), isLeadershipTransfer: try reader.wireBool()))
        case .promise:
            let commit = try reader.wireUInt64()
            var snapshot: MultiPaxosSnapshot?
            if try reader.wireBool() {
                snapshot = MultiPaxosSnapshot(index: try reader.wireUInt64(), data: try reader.wireBytes())
            }
            body = .promise(.init(commit: commit, snapshot: snapshot, entries: try readSlots(&reader)))
        case .reject:
            body = .reject(promised: Ballot(rawValue: try reader.wireUInt64()))
        case .accept:
            let firstSlot = try reader.wireUInt64()
            let leaderCommit = try reader.wireUInt64()
            body = .accept(.init(firstSlot: firstSlot, entries: try readSlots(&reader), leaderCommit: leaderCommit))
        case .acceptResponse:
            body = .acceptResponse(
                .init(agreedThrough: try reader.wireUInt64(), lastReceived: try reader.wireUInt64(), commit: try reader.wireUInt64()))
        case .heartbeat:
            body = .heartbeat(.init(commit: try reader.wireUInt64(), readRound: try reader.wireUInt64(), sentTick: try reader.wireUInt64()))
        case .heartbeatResponse:
            body = .heartbeatResponse(
                .init(
                    readRound: try reader.wireUInt64(), sentTick: try reader.wireUInt64(), agreedThrough: try reader.wireUInt64(),
                    commit: try reader.wireUInt64()))
        case .snapshotChunk:
            let index = try reader.wireUInt64()
            let offset = try reader.wireCount()
            let data = try reader.wireBytes()
            body = .snapshotChunk(.init(index: index, offset: offset, data: data, isLast: try reader.wireBool()))
        case .snapshotChunkResponse:
            body = .snapshotChunkResponse(.init(index: try reader.wireUInt64(), nextOffset: try reader.wireCount(), rejected: try reader.wireBool()))
        case .timeoutNow:
            body = .timeoutNow
        case .forwardedProposal:
            let count = try reader.wireItemCount(minimumBytes: 4, of: "commands")
            var commands: [[UInt8]] = []
            commands.reserveCapacity(count)
            for _ in 0..<count { commands.append(try reader.wireBytes()) }
            body = .forwardedProposal(commands)
        case .readIndexRequest:
            body = .readIndexRequest(context: try reader.wireUInt64())
        case .readIndexResponse:
            body = .readIndexResponse(index: try reader.wireUInt64(), context: try reader.wireUInt64())
        }
        try reader.wireEnd("Multi-Paxos message")
        return MultiPaxosMessage(from: from, to: to, ballot: ballot, body: body)
    }

    private static func write(_ slots: [MultiPaxosLogEntry], to writer: inout BinaryWriter) {
        writer.writeFixed(UInt32(slots.count))
        for slot in slots {
            writer.writeFixed(slot.slot)
            writer.writeFixed(slot.ballot.rawValue)
            writer.writeByte(slot.kind.rawValue)
            writer.writeFixedLengthBytes(slot.data)
        }
    }

    private static func readSlots(_ reader: inout BinaryReader) throws(WireError) -> [MultiPaxosLogEntry] {
        let count = try reader.wireItemCount(minimumBytes: slotBytesMin, of: "slots")
        var slots: [MultiPaxosLogEntry] = []
        slots.reserveCapacity(count)
        for _ in 0..<count {
            let slot = try reader.wireUInt64()
            let ballot = Ballot(rawValue: try reader.wireUInt64())
            let kindByte = try reader.wireByte()
            guard let kind = MultiPaxosLogEntry.Kind(rawValue: kindByte) else { throw .invalid("unknown slot kind \(kindByte)") }
            let data = try reader.wireBytes()
            guard kind == .command || data.isEmpty else { throw .invalid("a \(kind) slot with \(data.count) bytes of data") }
            slots.append(MultiPaxosLogEntry(slot: slot, ballot: ballot, kind: kind, data: data))
        }
        return slots
    }
}
