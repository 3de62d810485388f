import GRDB

extension Outbox {
    /// The name of the outbox table in the producer's database.
    public static let tableName = "concord_outbox"

    /// Creates the outbox table if it does not exist. Call it once, in the
    /// producer's own migrations or at start-up.
    public static func createTable(in db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS \(tableName) (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                message_id TEXT NOT NULL UNIQUE,
                topic TEXT NOT NULL,
                payload TEXT NOT NULL,
                sent INTEGER NOT NULL DEFAULT 0
            )
            """)
        try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(tableName)_unsent ON \(tableName)(sent, sequence)")
    }

    /// Adds a message to the outbox inside the caller's transaction, which
    /// should also hold the business change the message announces.
    ///
    /// ```swift
    /// try database.write { db in
    ///     try db.execute(sql: "INSERT INTO orders(id, total) VALUES (?, ?)", arguments: [17, 4200])
    ///     try Outbox.enqueue(message, in: db)
    /// }
    /// ```
    ///
    /// - Returns: The message's sequence number.
    /// - Throws: ``OutboxError/duplicateMessageID(_:)`` if the id is taken
    ///   (the caller's transaction then rolls back as a whole), or a
    ///   database error.
    @discardableResult
    public static func enqueue(_ message: Message, in db: Database) throws -> Int64 {
        let taken = try Bool.fetchOne(db, sql: "SELECT 1 FROM \(tableName) WHERE message_id = ?",
                                      arguments: [message.id]) ?? false
        guard !taken else { throw OutboxError.duplicateMessageID(message.id) }
        try db.execute(sql: "INSERT INTO \(tableName)(message_id, topic, payload) VALUES (?, ?, ?)",
                       arguments: [message.id, message.topic, message.payload])
        return db.lastInsertedRowID
    }

    /// The oldest unsent messages, in order.
    public static func unsent(in db: Database, limit: Int) throws -> [StoredMessage] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT sequence, message_id, topic, payload FROM \(tableName)
            WHERE sent = 0 ORDER BY sequence LIMIT ?
            """, arguments: [limit])
        return try rows.map { row in
            StoredMessage(sequence: row["sequence"],
                          message: try Message(id: row["message_id"], topic: row["topic"], payload: row["payload"]))
        }
    }

    /// How many messages wait to be published.
    public static func unsentCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(tableName) WHERE sent = 0") ?? 0
    }
}
