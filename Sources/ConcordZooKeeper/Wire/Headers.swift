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

    /// A watch notification's body (jute `WatcherEvent`).
    public struct WatcherEventRecord: Sendable, Hashable, JuteRecord {
        public var event: WatcherEvent

        public init(_ event: WatcherEvent) { self.event = event }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(event.type.rawValue)
            writer.writeInt(event.state.rawValue)
            writer.writeString(event.path)
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            let typeOffset = reader.offset
            guard let type = EventType(rawValue: try reader.readInt()) else { throw .invalidValue("event type", offset: typeOffset) }
            let stateOffset = reader.offset
            guard let state = KeeperState(rawValue: try reader.readInt()) else { throw .invalidValue("keeper state", offset: stateOffset) }
            event = WatcherEvent(type: type, state: state, path: try reader.readString() ?? "")
        }
    }
}
