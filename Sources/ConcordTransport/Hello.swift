extension Transport {
    /// The first frame on a connection: who is dialling.
    ///
    /// Layout (13 bytes): the ASCII magic `CNCD`, a format version byte (1),
    /// then the sender's replica id as 8 bytes big-endian.
    public struct Hello: Sendable, Hashable {
        /// The magic that starts every hello.
        public static let magic: [UInt8] = Array("CNCD".utf8)
        /// The format version this code speaks.
        public static let version: UInt8 = 1
        /// The size of an encoded hello, in bytes.
        public static let encodedBytes = 13

        /// The dialling replica.
        public var sender: UInt64

        /// Creates a hello.
        public init(sender: UInt64) {
            self.sender = sender
        }

        /// The frame's payload.
        public var encoded: [UInt8] {
            var bytes = Self.magic
            bytes.append(Self.version)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: sender >> UInt64(shift)))
            }
            return bytes
        }

        /// Decodes a hello.
        /// - Throws: ``TransportError/badHello(_:)`` when the bytes are not one.
        public init(decoding bytes: [UInt8]) throws(TransportError) {
            guard bytes.count == Self.encodedBytes else {
                throw .badHello("expected \(Self.encodedBytes) bytes, got \(bytes.count)")
            }
            guard Array(bytes[0..<4]) == Self.magic else { throw .badHello("wrong magic") }
            guard bytes[4] == Self.version else { throw .badHello("unsupported version \(bytes[4])") }
            var sender: UInt64 = 0
            for byte in bytes[5..<13] { sender = sender << 8 | UInt64(byte) }
            guard sender != 0 else { throw .badHello("sender id 0") }
            self.sender = sender
        }
    }
}
