import GRDB

extension Outbox {
    /// Publishes a producer's outbox: oldest unsent messages first, in
    /// batches, marking a batch sent only after every message of it was
    /// published.
    ///
    /// Guarantees, for a single relay per outbox:
    /// - order: messages are first published in sequence order, and a
    ///   redelivery after a crash repeats a suffix of what was published;
    /// - at least once: a message is marked sent only after it was
    ///   published, so a crash in between publishes it again;
    /// - nothing lost: a message is in the outbox as soon as its producer's
    ///   transaction commits.
    ///
    /// Two relays on one outbox would still deliver everything at least once,
    /// but could interleave their batches; run one.
    public struct Relay {
        /// The largest batch.
        public static let batchSizeMax = 10_000

        /// The producer's database.
        public let database: any DatabaseWriter
        /// Where messages go.
        public let publisher: any Publisher
        /// The most messages read, published and marked sent together.
        public let batchSize: Int
        /// Called after a batch is published and before it is marked sent,
        /// with the batch's number (1 for the first) and its messages. For
        /// fault-injection tests: a crash here is the case that makes
        /// delivery "at least once".
        public var afterPublishing: ((Int, [StoredMessage]) throws -> Void)?
        private var batchesPublished = 0

        /// Creates a relay and makes sure the outbox table exists.
        ///
        /// - Throws: ``OutboxError/badBatchSize(_:limit:)``, or a database error.
        public init(database: any DatabaseWriter, publisher: any Publisher, batchSize: Int = 100) throws {
            guard (1...Self.batchSizeMax).contains(batchSize) else {
                throw OutboxError.badBatchSize(batchSize, limit: Self.batchSizeMax)
            }
            self.database = database
            self.publisher = publisher
            self.batchSize = batchSize
            try database.write { db in try Outbox.createTable(in: db) }
        }

        /// Publishes one batch of unsent messages and marks it sent.
        ///
        /// - Returns: How many messages were published (0 when none waited).
        /// - Throws: The publisher's or the database's error; messages
        ///   published before it stay unsent and will be published again.
        @discardableResult
        public mutating func relayBatch() throws -> Int {
            let batch = try database.read { db in try Outbox.unsent(in: db, limit: batchSize) }
            guard let first = batch.first, let last = batch.last else { return 0 }
            try publisher.publish(batch: batch)
            batchesPublished += 1
            try afterPublishing?(batchesPublished, batch)
            try database.write { db in
                try db.execute(sql: "UPDATE \(Outbox.tableName) SET sent = 1 WHERE sequence BETWEEN ? AND ?",
                               arguments: [first.sequence, last.sequence])
            }
            return batch.count
        }

        /// Publishes batches until no unsent message is left.
        ///
        /// - Returns: How many messages were published.
        @discardableResult
        public mutating func relayUntilEmpty() throws -> Int {
            var total = 0
            while true {
                let count = try relayBatch()
                if count == 0 { return total }
                total += count
            }
        }
    }
}
