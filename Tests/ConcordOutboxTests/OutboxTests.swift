import GRDB
import Testing
@testable import ConcordOutbox

/// Records what it is asked to publish; can fail on a chosen call.
final class RecordingPublisher: Outbox.Publisher {
    var published: [Outbox.StoredMessage] = []
    var failOnCall: Int?
    private var calls = 0

    struct Failure: Error {}

    func publish(_ message: Outbox.StoredMessage) throws {
        calls += 1
        if calls == failOnCall { throw Failure() }
        published.append(message)
    }
}

@Suite("Transactional outbox")
struct OutboxTests {
    struct Abort: Error {}

    func producer(orders: Int) throws -> DatabaseQueue {
        let database = try DatabaseQueue()
        _ = try Outbox.Demo.placeOrders(orders, in: database)
        return database
    }

    @Test func theBusinessRowAndItsOutboxRowCommitOrRollBackTogether() throws {
        let database = try producer(orders: 1)
        #expect(throws: Abort.self) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO orders(item, quantity) VALUES ('lost', 1)")
                try Outbox.enqueue(try Outbox.Message(id: "order-lost", topic: "orders", payload: "99:1"), in: db)
                throw Abort()
            }
        }
        let (ordersCount, unsent) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders"), try Outbox.unsentCount(in: db))
        }
        #expect(ordersCount == 1)
        #expect(unsent == 1)
    }

    @Test func theRelayPublishesInSequenceOrderAndMarksRowsSent() throws {
        let database = try producer(orders: 25)
        let publisher = RecordingPublisher()
        var relay = try Outbox.Relay(database: database, publisher: publisher, batchSize: 10)
        #expect(try relay.relayUntilEmpty() == 25)
        #expect(publisher.published.map(\.sequence) == Array(1...25))
        #expect(publisher.published.map(\.message.id) == (1...25).map { "order-\($0)" })
        #expect(try database.read { db in try Outbox.unsentCount(in: db) } == 0)
        #expect(try relay.relayUntilEmpty() == 0)
        #expect(publisher.published.count == 25)
    }

    @Test func aCrashBetweenPublishingAndMarkingSentRepublishesTheBatch() throws {
        let database = try producer(orders: 12)
        let publisher = RecordingPublisher()
        var crashing = try Outbox.Relay(database: database, publisher: publisher, batchSize: 5)
        struct Crash: Error {}
        crashing.afterPublishing = { batch, _ in if batch == 2 { throw Crash() } }
        #expect(throws: Crash.self) { try crashing.relayUntilEmpty() }
        #expect(try database.read { db in try Outbox.unsentCount(in: db) } == 7)
        var restarted = try Outbox.Relay(database: database, publisher: publisher, batchSize: 5)
        try restarted.relayUntilEmpty()
        // Batch 2 (sequences 6...10) went out twice; nothing was lost.
        #expect(publisher.published.map(\.sequence) == Array(1...10) + Array(6...12))
    }

    @Test func aFailedPublishLeavesTheBatchUnsentForTheNextAttempt() throws {
        let database = try producer(orders: 4)
        let publisher = RecordingPublisher()
        publisher.failOnCall = 3
        var relay = try Outbox.Relay(database: database, publisher: publisher, batchSize: 10)
        #expect(throws: RecordingPublisher.Failure.self) { try relay.relayBatch() }
        #expect(try database.read { db in try Outbox.unsentCount(in: db) } == 4)
        try relay.relayUntilEmpty()
        #expect(publisher.published.map(\.sequence) == [1, 2, 1, 2, 3, 4])
    }

    @Test func theInboxAppliesEachMessageOnceHoweverOftenItIsDelivered() throws {
        let producer = try producer(orders: 6)
        let consumer = try DatabaseQueue()
        let publisher = try Outbox.Demo.ConsumerPublisher(database: consumer)
        let messages = try producer.read { db in try Outbox.unsent(in: db, limit: 100) }
        for message in messages + messages.suffix(3) + messages.prefix(1) {
            try publisher.publish(message)
        }
        let report = try consumer.read { db in try Outbox.Demo.consumerReport(db) }
        #expect(report.deliveries == 10)
        #expect(report.distinctDeliveries == 6)
        #expect(report.shipments == 6)
        #expect(report.distinctShipments == 6)
        #expect(report.shipmentsInOrder)
    }

    @Test func aFailedEffectRecordsNothingSoARedeliveryAppliesIt() throws {
        let consumer = try DatabaseQueue()
        let inbox = try Outbox.Inbox(database: consumer)
        try consumer.write { db in try db.execute(sql: "CREATE TABLE effects(message_id TEXT)") }
        let message = Outbox.StoredMessage(sequence: 1, message: try Outbox.Message(id: "m1", topic: "t", payload: ""))
        struct EffectFailed: Error {}
        #expect(throws: EffectFailed.self) { try inbox.receive(message) { _, _ in throw EffectFailed() } }
        #expect(try inbox.count() == 0)
        let apply: (Database, Outbox.StoredMessage) throws -> Void = { db, message in
            try db.execute(sql: "INSERT INTO effects VALUES (?)", arguments: [message.message.id])
        }
        #expect(try inbox.receive(message, effect: apply))
        #expect(try !inbox.receive(message, effect: apply))
        #expect(try consumer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM effects") } == 1)
    }

    @Test func badMessagesAndSettingsAreRejectedWithoutWriting() throws {
        #expect(throws: Outbox.OutboxError.badMessageID("")) { _ = try Outbox.Message(id: "", topic: "t", payload: "") }
        #expect(throws: Outbox.OutboxError.badTopic("")) { _ = try Outbox.Message(id: "m", topic: "", payload: "") }
        let big = String(repeating: "x", count: Outbox.Message.payloadBytesMax + 1)
        #expect(throws: Outbox.OutboxError.payloadTooLarge(bytes: big.utf8.count, limit: Outbox.Message.payloadBytesMax)) {
            _ = try Outbox.Message(id: "m", topic: "t", payload: big)
        }
        let database = try producer(orders: 2)
        #expect(throws: Outbox.OutboxError.badBatchSize(0, limit: Outbox.Relay.batchSizeMax)) {
            _ = try Outbox.Relay(database: database, publisher: RecordingPublisher(), batchSize: 0)
        }
        #expect(throws: Outbox.OutboxError.duplicateMessageID("order-1")) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO orders(item, quantity) VALUES ('again', 1)")
                try Outbox.enqueue(try Outbox.Message(id: "order-1", topic: "orders", payload: "1:1"), in: db)
            }
        }
        let (ordersCount, unsent) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders"), try Outbox.unsentCount(in: db))
        }
        #expect(ordersCount == 2)
        #expect(unsent == 2)
    }
}
