extension Storage {
    /// The limits and choices of a write-ahead log.
    public struct LogConfiguration: Sendable, Hashable {
        /// The default size of a segment file: 64 MiB.
        public static let segmentBytesDefault = 64 << 20
        /// The default largest record payload: 4 MiB.
        public static let recordPayloadBytesMaxDefault = 4 << 20
        /// The default most bytes of records one group commit writes before
        /// it syncs: 16 MiB.
        public static let batchBytesMaxDefault = 16 << 20

        /// How a new segment's space is reserved.
        public enum Preallocation: Sendable, Hashable {
            /// `fallocate(2)`: reserves the blocks without writing them
            /// (cheap; later syncs also record that the blocks were written).
            case allocate
            /// Writes zeros over the whole segment once (slower to create;
            /// later syncs write only data on file systems that then skip
            /// extent conversion).
            case zeroFill
        }

        /// The size of each segment file, header included.
        public var segmentBytes: Int
        /// The largest payload one record may carry.
        public var recordPayloadBytesMax: Int
        /// The most record bytes one group commit gathers before syncing.
        public var batchBytesMax: Int
        /// How new segments are preallocated.
        public var preallocation: Preallocation
        /// Whether each group commit is synced before its appends complete
        /// (the default). When false, an append completes once its records
        /// are written to the files (the operating system's page cache:
        /// they survive the process being killed, not a power cut) and
        /// ``WriteAheadLog/sync(completion:)`` makes everything written
        /// durable; segment rolls, truncation and compaction still sync.
        /// The available store's `appendfsync everysec` and `no` use this.
        public var syncsEachBatch: Bool = true

        /// Creates a configuration; the defaults suit a server.
        ///
        /// - Precondition: a record of `recordPayloadBytesMax` fits in an
        ///   empty segment.
        public init(
            segmentBytes: Int = segmentBytesDefault,
            recordPayloadBytesMax: Int = recordPayloadBytesMaxDefault,
            batchBytesMax: Int = batchBytesMaxDefault,
            preallocation: Preallocation = .allocate
        ) {
            precondition(recordPayloadBytesMax >= 0 && recordPayloadBytesMax <= Int(UInt32.max), "record payload limit out of range")
            precondition(
                SegmentHeader.bytes + RecordFrame.frameBytes(payloadBytes: recordPayloadBytesMax) <= segmentBytes,
                "a record of recordPayloadBytesMax bytes must fit in an empty segment"
            )
            precondition(batchBytesMax > 0, "batchBytesMax must be positive")
            self.segmentBytes = segmentBytes
            self.recordPayloadBytesMax = recordPayloadBytesMax
            self.batchBytesMax = batchBytesMax
            self.preallocation = preallocation
        }
    }
}
