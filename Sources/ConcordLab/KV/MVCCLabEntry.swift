import ConcordKV

/// The payload of a log entry of the MVCC lab: a session header (client id,
/// sequence number, 8 bytes each, little-endian) then the `KVCommand`'s own
/// encoding, so the store decodes exactly what a server would propose.
struct MVCCLabEntry: Sendable, Hashable {
    static let headerBytes = 16

    var clientID: UInt64
    var sequence: UInt64
    var command: ConcordKV.KVCommand

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerBytes)
        withUnsafeBytes(of: clientID.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: sequence.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + command.encoded()
    }

    init(clientID: UInt64, sequence: UInt64, command: ConcordKV.KVCommand) {
        self.clientID = clientID
        self.sequence = sequence
        self.command = command
    }

    init(decoding bytes: [UInt8]) throws(KVDecodingError) {
        guard bytes.count >= Self.headerBytes else { throw .truncated }
        clientID = Self.word(bytes, at: 0)
        sequence = Self.word(bytes, at: 8)
        command = try ConcordKV.KVCommand(decoding: Array(bytes[Self.headerBytes...]))
    }

    static func word(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 {
            value |= UInt64(bytes[offset + index]) << (8 * UInt64(index))
        }
        return value
    }
}
