import GRDB

extension Outbox {
    /// A small order-and-shipment system that `concord outbox` runs and the
    /// tests check: the producer writes orders with their outbox rows; the
    /// consumer records every delivery and, once per message, a shipment.
    ///
    /// The shipments table deliberately has no unique constraint on the
    /// message id: only the inbox keeps an order from shipping twice, so a
    /// broken inbox shows up as a duplicate shipment.
    public enum Demo {
        /// The most orders one `placeOrders` call writes.
        public static let ordersMax = 10_000_000

        /// Opens (creating if needed) a SQLite database that other processes
        /// may share: write-ahead logging, waiting up to `busyTimeoutSeconds`
        /// for another process's lock, and `synchronous = FULL`, so that a
        /// committed transaction survives a power failure as well as a crash.
        /// (With GRDB's default for WAL, NORMAL, a crash of the process loses
        /// nothing but a power failure may roll back the last commits; the
        /// consumer must not lose an effect the relay has marked sent.)
        public static func open(path: String, busyTimeoutSeconds: Double = 10) throws -> DatabaseQueue {
            var configuration = Configuration()
            configuration.journalMode = .wal
            configuration.busyMode = .timeout(busyTimeoutSeconds)
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return database
        }

        /// The connection's `synchronous` setting (0 off, 1 normal, 2 full, 3 extra).
        public static func synchronousSetting(of database: any DatabaseWriter) throws -> Int {
            try database.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        }

        /// Writes `count` orders, each with its outbox message in the same
        /// local transaction (`ordersPerTransaction` orders per transaction).
        ///
        /// - Returns: The first and last order numbers written.
        public static func placeOrders(_ count: Int, in database: any DatabaseWriter,
                                       ordersPerTransaction: Int = 1) throws -> ClosedRange<Int64>? {
            guard count > 0 else { return nil }
            precondition(count <= ordersMax, "at most \(ordersMax) orders at once")
            precondition(ordersPerTransaction >= 1, "at least one order per transaction")
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS orders (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        item TEXT NOT NULL,
                        quantity INTEGER NOT NULL
                    )
                    """)
                try Outbox.createTable(in: db)
            }
            var first: Int64?
            var last: Int64 = 0
            for start in stride(from: 0, to: count, by: ordersPerTransaction) {
                let range = start..<min(count, start + ordersPerTransaction)
                let written = try database.write { db in
                    var orders: [Int64] = []
                    for index in range {
                        let quantity = index % 7 + 1
                        try db.execute(sql: "INSERT INTO orders(item, quantity) VALUES (?, ?)",
                                       arguments: ["item-\(index % 13)", quantity])
                        let order = db.lastInsertedRowID
                        let message = try Message(id: "order-\(order)", topic: "orders", payload: "\(order):\(quantity)")
                        try Outbox.enqueue(message, in: db)
                        orders.append(order)
                    }
                    return orders
                }
                if first == nil { first = written.first }
                last = written.last!
            }
            return first! ... last
        }

        /// Creates the consumer's tables if needed.
        public static func prepareConsumer(_ db: Database) throws {
            try Inbox.createTable(in: db)
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS deliveries (
                    n INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL
                )
                """)
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS shipments (
                    n INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL,
                    order_id INTEGER NOT NULL,
                    quantity INTEGER NOT NULL
                )
                """)
        }

        /// A publisher that delivers straight into the consumer's database:
        /// one transaction records the delivery, the inbox row and (for a
        /// new message) the shipment.
        public struct ConsumerPublisher: Publisher {
            /// The consumer's database.
            public let database: any DatabaseWriter

            /// Creates the publisher and the consumer's tables.
            public init(database: any DatabaseWriter) throws {
                self.database = database
                try database.write { db in try Demo.prepareConsumer(db) }
            }

            public func publish(_ message: StoredMessage) throws {
                try publish(batch: [message])
            }

            /// Delivers the whole batch in one consumer transaction: one sync
            /// instead of one per message, each message still deduplicated.
            public func publish(batch messages: [StoredMessage]) throws {
                try database.write { db in
                    for message in messages {
                        try Self.deliver(message, in: db)
                    }
                }
            }

            static func deliver(_ message: StoredMessage, in db: Database) throws {
                try db.execute(sql: "INSERT INTO deliveries(message_id) VALUES (?)", arguments: [message.message.id])
                try Inbox.receive(message, in: db) { db, message in
                    let fields = message.message.payload.split(separator: ":")
                    guard fields.count == 2, let order = Int64(fields[0]), let quantity = Int(fields[1]) else {
                        throw DemoError.malformedPayload(message.message.payload)
                    }
                    try db.execute(sql: "INSERT INTO shipments(message_id, order_id, quantity) VALUES (?, ?, ?)",
                                   arguments: [message.message.id, order, quantity])
                }
            }
        }

        /// What the consumer's database shows.
        public struct ConsumerReport: Hashable, Sendable {
            /// Deliveries, duplicates included.
            public var deliveries: Int
            /// Distinct message ids delivered.
            public var distinctDeliveries: Int
            /// Shipments made (effects applied).
            public var shipments: Int
            /// Distinct message ids among the shipments.
            public var distinctShipments: Int
            /// True when shipments were made in increasing order number.
            public var shipmentsInOrder: Bool
        }

        /// Reads the consumer's tables.
        public static func consumerReport(_ db: Database) throws -> ConsumerReport {
            let orders = try Int64.fetchAll(db, sql: "SELECT order_id FROM shipments ORDER BY n")
            return ConsumerReport(
                deliveries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries") ?? 0,
                distinctDeliveries: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT message_id) FROM deliveries") ?? 0,
                shipments: orders.count,
                distinctShipments: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT message_id) FROM shipments") ?? 0,
                shipmentsInOrder: zip(orders, orders.dropFirst()).allSatisfy { $0 < $1 })
        }

        /// A consumer-side failure of the demonstration.
        public enum DemoError: Error, Hashable, Sendable, CustomStringConvertible {
            /// A message's payload is not "order:quantity".
            case malformedPayload(String)

            public var description: String {
                switch self {
                case .malformedPayload(let payload): "malformed order payload '\(payload.prefix(40))'"
                }
            }
        }
    }
}
