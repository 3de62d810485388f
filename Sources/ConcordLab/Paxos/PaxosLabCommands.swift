import ConcordFoundation

/// The payload of a Paxos slot that carries several client commands (a
/// batch in the single-decree log): a varint count, then each encoded
/// `PaxosLabKVCommand` as length-prefixed bytes.
enum PaxosLabCommands {
    static func encode(_ commands: [PaxosLabKVCommand]) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeVarint(UInt64(commands.count))
        for command in commands { writer.writeBytes(command.encoded()) }
        return writer.take()
    }

    /// The commands of a payload; an empty payload (a no-op) holds none.
    static func decode(_ bytes: [UInt8]) throws(BinaryDecodingError) -> [PaxosLabKVCommand] {
        guard !bytes.isEmpty else { return [] }
        var reader = BinaryReader(bytes)
        let count = try reader.readCount()
        var commands: [PaxosLabKVCommand] = []
        for _ in 0..<count {
            commands.append(try PaxosLabKVCommand(decoding: Array(try reader.readBytes())))
        }
        try reader.finish()
        return commands
    }

    /// A canonical encoding of a list of encoded commands, for the safety
    /// monitor.
    static func canonical(_ values: [[UInt8]]) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeVarint(UInt64(values.count))
        for value in values { writer.writeBytes(value) }
        return writer.take()
    }
}
