extension ZooKeeper {
    /// ZooKeeper's framing: every message after the first four bytes of a
    /// connection is a 4-byte big-endian length followed by that many bytes.
    /// The first four bytes may instead spell a four-letter word (`ruok`,
    /// `srvr`, ...), which the server answers in text before closing.
    public enum Frame: Sendable, Hashable {
        /// A framed message's bytes (without the length).
        case message([UInt8])
        /// A four-letter word sent instead of the first frame.
        case fourLetterWord(FourLetterWord)

        /// `body` with its length in front.
        public static func encode(_ body: [UInt8]) -> [UInt8] {
            var writer = JuteWriter()
            writer.writeInt(Int32(body.count))
            writer.writeRaw(body)
            return writer.bytes
        }

        /// A reply frame: the reply header, then the body.
        public static func reply(xid: Int32, zxid: Int64, error: ErrorCode, body: [UInt8] = []) -> [UInt8] {
            var writer = JuteWriter()
            writer.writeInt(Int32(ReplyHeader.encodedBytes + body.count))
            ReplyHeader(xid: xid, zxid: zxid, err: error.rawValue).encode(to: &writer)
            writer.writeRaw(body)
            return writer.bytes
        }

        /// A request frame: the request header, then the request's body.
        public static func request(xid: Int32, _ request: Request) -> [UInt8] {
            let body = request.encodedBody()
            var writer = JuteWriter()
            writer.writeInt(Int32(RequestHeader.encodedBytes + body.count))
            RequestHeader(xid: xid, type: request.opCode.rawValue).encode(to: &writer)
            writer.writeRaw(body)
            return writer.bytes
        }

        /// A watch notification frame (xid -1, zxid -1 as ZooKeeper 3.8 sends).
        public static func notification(_ event: WatcherEvent) -> [UInt8] {
            let body = WatcherEventRecord(event).juteEncoded
            return reply(xid: ReservedXid.notification, zxid: -1, error: .ok, body: body)
        }
    }
}
