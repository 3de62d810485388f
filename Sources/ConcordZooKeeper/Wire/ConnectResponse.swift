import ConcordFoundation

extension ZooKeeper {
    /// The server's answer to a ``ZooKeeper/ConnectRequest`` (jute
    /// `ConnectResponse`, then `readOnly` unless the client is old). A
    /// timeout of 0 tells the client its session is gone.
    public struct ConnectResponse: Sendable, Hashable, JuteRecord {
        public var protocolVersion: Int32
        /// The negotiated session timeout; 0 if the session is expired or invalid.
        public var timeoutMilliseconds: Int32
        /// The session id; 0 if the session is expired or invalid.
        public var sessionID: Int64
        /// The session's password.
        public var password: [UInt8]
        /// Whether the server is read-only; nil to omit it for an old client.
        public var readOnly: Bool?

        public init(protocolVersion: Int32 = 0, timeoutMilliseconds: Int32, sessionID: Int64, password: [UInt8], readOnly: Bool? = false) {
            self.protocolVersion = protocolVersion
            self.timeoutMilliseconds = timeoutMilliseconds
            self.sessionID = sessionID
            self.password = password
            self.readOnly = readOnly
        }

        /// The answer for a session that is expired or was never valid.
        public static func invalidSession(readOnly: Bool?) -> ConnectResponse {
            ConnectResponse(timeoutMilliseconds: 0, sessionID: 0, password: Array(repeating: 0, count: Session.passwordBytes), readOnly: readOnly)
        }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(protocolVersion)
            writer.writeInt(timeoutMilliseconds)
            writer.writeLong(sessionID)
            writer.writeBuffer(password)
            if let readOnly { writer.writeBool(readOnly) }
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            protocolVersion = try reader.readInt()
            timeoutMilliseconds = try reader.readInt()
            sessionID = try reader.readLong()
            password = try reader.readBuffer() ?? []
            readOnly = reader.remainingCount > 0 ? try reader.readBool() : nil
        }
    }
}
