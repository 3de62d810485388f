extension ZooKeeper {
    /// Why a connection's bytes cannot be framed; the server closes the
    /// connection (as ZooKeeper does on a "Len error").
    public enum FrameError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A length below zero or above the limit.
        case lengthOutOfRange(length: Int32, limit: Int)

        public var description: String {
            switch self {
            case .lengthOutOfRange(let length, let limit): "frame length \(length) is outside 0...\(limit)"
            }
        }
    }

    /// Splits a connection's incoming bytes into frames, however the bytes
    /// arrive (one byte at a time or many frames at once).
    public struct FrameDecoder: Sendable {
        /// The largest frame accepted, in bytes.
        public let frameBytesMax: Int
        private var buffer: [UInt8] = []
        private var start = 0
        private var sawFirstFrame = false

        /// A decoder for a new connection.
        public init(frameBytesMax: Int) {
            self.frameBytesMax = frameBytesMax
        }

        /// The bytes received but not yet framed.
        public var bufferedByteCount: Int { buffer.count - start }

        /// Adds received bytes.
        public mutating func append(_ bytes: some Collection<UInt8>) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next complete frame, or nil if more bytes are needed.
        /// - Throws: ``ZooKeeper/FrameError`` for a length out of range; the
        ///   connection is unusable after that.
        public mutating func next() throws(FrameError) -> Frame? {
            guard bufferedByteCount >= 4 else { return nil }
            let word = UInt32(buffer[start]) << 24 | UInt32(buffer[start + 1]) << 16 | UInt32(buffer[start + 2]) << 8 | UInt32(buffer[start + 3])
            if !sawFirstFrame, let command = FourLetterWord(code: word) {
                sawFirstFrame = true
                start += 4
                return .fourLetterWord(command)
            }
            let length = Int32(bitPattern: word)
            guard length >= 0, Int(length) <= frameBytesMax else { throw .lengthOutOfRange(length: length, limit: frameBytesMax) }
            guard bufferedByteCount >= 4 + Int(length) else { return nil }
            sawFirstFrame = true
            let body = Array(buffer[(start + 4)..<(start + 4 + Int(length))])
            start += 4 + Int(length)
            if start > 65_536 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
            }
            return .message(body)
        }
    }
}
