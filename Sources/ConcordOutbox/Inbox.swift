import GRDB

extension Outbox {
    /// A consumer's record of the messages it has handled, kept in the
    /// consumer's own database so that recording a message and applying its
    /// effect are one transaction: a message's effect happens exactly once
    /// however often it is delivered.
    public struct Inbox {
        /// The name of the inbox table in the consumer's database.
        public static let tableName = "concord_inbox"

        /// The consumer's database.
        public let database: any DatabaseWriter

        /// Opens the inbox, creating its table if needed.
        public init(database: any DatabaseWriter) throws {
            self.database = database
            try database.write { db in try Self.createTable(in: db) }
        }

        /// Creates the inbox table if it does not exist.
        public static func createTable(in db: Database) throws {
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS \(tableName) (
                    message_id TEXT PRIMARY KEY NOT NULL,
                    sequence INTEGER NOT NULL
                )
                """)
        }

        /// Handles a delivery: in one transaction, records the message id
        /// and, if it is new, applies `effect`.
        ///
        /// - Parameters:
        ///   - message: The delivered message.
        ///   - effect: The message's effect on the consumer's database.
        /// - Returns: True if the effect was applied, false for a duplicate.
        /// - Throws: The effect's or the database's error; then neither the
        ///   inbox row nor the effect is written, and a redelivery retries.
        @discardableResult
        public func receive(_ message: StoredMessage, effect: (Database, StoredMessage) throws -> Void) throws -> Bool {
            try database.write { db in
                try Self.receive(message, in: db, effect: effect)
            }
        }

        /// The same, inside a transaction the caller already holds.
        @discardableResult
        public static func receive(_ message: StoredMessage, in db: Database,
                                   effect: (Database, StoredMessage) throws -> Void) throws -> Bool {
            try db.execute(sql: "INSERT OR IGNORE INTO \(tableName)(message_id, sequence) VALUES (?, ?)",
                           arguments: [message.message.id, message.sequence])
            guard db.changesCount == 1 else { return false }
            try effect(db, message)
            return true
        }

        /// How many distinct messages this inbox has handled.
        public func count() throws -> Int {
            try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.tableName)") ?? 0 }
        }
    }
}
