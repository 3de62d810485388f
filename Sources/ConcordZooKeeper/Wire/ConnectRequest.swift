import ConcordFoundation

extension ZooKeeper {
    /// The first message of a connection (jute `ConnectRequest`), followed
    /// by the `readOnly` flag that clients since 3.4 append.
    public struct ConnectRequest: Sendable, Hashable, JuteRecord {
        /// Always 0.
        public var protocolVersion: Int32
        /// The highest zxid the client has seen; a server behind it refuses
        /// the connection, so a client never goes back in time.
        public var lastZxidSeen: Int64
        /// The session timeout the client asks for.
        public var timeoutMilliseconds: Int32
        /// 0 for a new session, or the session to reattach.
        public var sessionID: Int64
        /// The session's password (16 zero bytes for a new session).
        public var password: [UInt8]
        /// Whether the client accepts a read-only server; nil when an old
        /// client did not send the flag (then the answer omits it too).
        public var readOnly: Bool?

        public init(protocolVersion: Int32 = 0, lastZxidSeen: Int64, timeoutMilliseconds: Int32, sessionID: Int64, password: [UInt8], readOnly: Bool? = false) {
            self.protocolVersion = protocolVersion
            self.lastZxidSeen = lastZxidSeen
            self.timeoutMilliseconds = timeoutMilliseconds
            self.sessionID = sessionID
            self.password = password
            self.readOnly = readOnly
        }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(protocolVersion)
            writer.writeLong(lastZxidSeen)
            writer.writeInt(timeoutMilliseconds)
            writer.writeLong(sessionID)
            writer.writeBuffer(password)
            if let readOnly { writer.writeBool(readOnly) }
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            protocolVersion = try reader.readInt()
            lastZxidSeen = try reader.readLong()
            timeoutMilliseconds = try reader.readInt()
            sessionID = try reader.readLong()
            password = try reader.readBuffer() ?? []
            readOnly = reader.remainingCount > 0 ? try reader.readBool() : nil
        }
    }
}
