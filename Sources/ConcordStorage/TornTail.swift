extension Storage {
    /// A torn tail found and trimmed on recovery: an incomplete or
    /// checksum-failing last record of the last segment, after which the
    /// file held nothing valid. Only writes that were never reported
    /// durable end like this.
    public struct TornTail: Sendable, Hashable {
        /// The segment file.
        public var file: String
        /// The byte offset where the damaged bytes began; the file now ends
        /// its records here.
        public var offset: UInt64
        /// How many non-zero bytes were discarded.
        public var discardedBytes: Int
        /// What was wrong at `offset`.
        public var reason: String
    }
}
