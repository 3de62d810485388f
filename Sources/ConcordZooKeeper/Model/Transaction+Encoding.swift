import ConcordFoundation

extension ZooKeeper.Transaction: BinaryCodable {
    /// The format version byte that starts every encoded transaction.
    public static let formatVersion: UInt8 = 1

    /// A transaction as a log entry's payload:
    ///
    ///     transaction = version:u8(1) server:varint tag:varint time:sint command
    ///
    /// with `command` as ``ZooKeeper/Command`` encodes itself. A server core
    /// whose log envelope already names the proposer and its request may
    /// carry the time and the command alone instead.
    public func encode(to writer: inout BinaryWriter) {
        writer.writeByte(Self.formatVersion)
        writer.writeVarint(origin.server)
        writer.writeVarint(origin.tag)
        writer.writeSignedVarint(timeMilliseconds)
        command.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let version = try reader.readByte()
        guard version == Self.formatVersion else { throw .invalidValue("ZooKeeper transaction format version \(version)", offset: start) }
        let origin = ZooKeeper.Origin(server: try reader.readVarint(), tag: try reader.readVarint())
        let time = try reader.readSignedVarint()
        self.init(origin: origin, timeMilliseconds: time, command: try ZooKeeper.Command(from: &reader))
    }
}
