extension Storage {
    /// One entry of the write-ahead log: its position, the term it was
    /// created in and opaque bytes.
    public struct LogRecord: Sendable, Hashable {
        /// The entry's position in the log, from 1.
        public var index: UInt64
        /// The term in which the entry was created.
        public var term: UInt64
        /// The entry's bytes, opaque to storage.
        public var payload: [UInt8]

        /// Creates an entry.
        public init(index: UInt64, term: UInt64, payload: [UInt8]) {
            self.index = index
            self.term = term
            self.payload = payload
        }
    }
}
