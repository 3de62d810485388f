import ConcordFoundation

extension ZooKeeper {
    /// What precedes every request after the connect (jute `RequestHeader`).
    public struct RequestHeader: Sendable, Hashable, JuteRecord {
        /// The client's number for the request, echoed in the reply; see
        /// ``ZooKeeper/ReservedXid`` for pings, auth and set-watches.
        public var xid: Int32
        /// The op code.
        public var type: Int32

        public init(xid: Int32, type: Int32) {
            self.xid = xid
            self.type = type
        }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(xid)
            writer.writeInt(type)
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            self.init(xid: try reader.readInt(), type: try reader.readInt())
        }

        /// Its size on the wire.
        public static let encodedBytes = 8
    }
}
