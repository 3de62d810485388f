/// What a Concord log entry carries: the replica that proposed it, a request
/// id unique on that replica, and the encoded `KVCommand`.
///
/// The proposer and request id let the replica that holds the waiting client
/// answer it when it applies the entry, whichever replica led when the entry
/// was appended. Layout: version byte (1), proposer (8 bytes), request id
/// (8 bytes), then the command's bytes to the end.
struct ProposalEnvelope: Sendable, Hashable {
    static let version: UInt8 = 1
    static let headerBytes = 17

    var proposer: UInt64
    var requestID: UInt64
    var command: [UInt8]

    var encoded: [UInt8] {
        var writer = WireWriter(capacity: Self.headerBytes + command.count)
        writer.write(Self.version)
        writer.write(proposer)
        writer.write(requestID)
        var bytes = writer.bytes
        bytes.append(contentsOf: command)
        return bytes
    }

    init(proposer: UInt64, requestID: UInt64, command: [UInt8]) {
        self.proposer = proposer
        self.requestID = requestID
        self.command = command
    }

    init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let version = try reader.readByte()
        guard version == Self.version else { throw .invalid("unsupported proposal version \(version)") }
        proposer = try reader.readUInt64()
        requestID = try reader.readUInt64()
        command = Array(bytes[Self.headerBytes...])
    }
}
