import ConcordFoundation

extension ZooKeeper {
    /// What precedes every reply and notification (jute `ReplyHeader`).
    public struct ReplyHeader: Sendable, Hashable, JuteRecord {
        /// The request's xid, or -1 for a watch notification.
        public var xid: Int32
        /// The zxid of the server's state when it answered (-1 on a notification, as 3.8 sends).
        public var zxid: Int64
        /// The error code; a failed request's reply has no body.
        public var err: Int32

        public init(xid: Int32, zxid: Int64, err: Int32) {
            self.xid = xid
            self.zxid = zxid
            self.err = err
        }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(xid)
            writer.writeLong(zxid)
            writer.writeInt(err)
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            self.init(xid: try reader.readInt(), zxid: try reader.readLong(), err: try reader.readInt())
        }

        /// Its size on the wire.
        public static let encodedBytes = 16
    }
}
