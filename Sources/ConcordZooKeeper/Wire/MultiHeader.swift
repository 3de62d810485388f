import ConcordFoundation

extension ZooKeeper {
    /// What precedes each operation and result of a multi (jute `MultiHeader`);
    /// `(-1, true, -1)` ends the list.
    public struct MultiHeader: Sendable, Hashable, JuteRecord {
        public var type: Int32
        public var done: Bool
        public var err: Int32

        public init(type: Int32, done: Bool, err: Int32) {
            self.type = type
            self.done = done
            self.err = err
        }

        /// The header that ends a multi's operations or results.
        public static let end = MultiHeader(type: -1, done: true, err: -1)

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(type)
            writer.writeBool(done)
            writer.writeInt(err)
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            self.init(type: try reader.readInt(), done: try reader.readBool(), err: try reader.readInt())
        }
    }
}
