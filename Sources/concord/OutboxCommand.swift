import ArgumentParser
import ConcordOutbox
import Foundation

/// `concord outbox`: the transactional outbox on SQLite, as real processes.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Run the transactional outbox on SQLite: place orders, relay them, inspect, benchmark.",
        subcommands: [Place.self, Relay.self, Status.self, Bench.self]
    )

    /// `concord outbox place`: write orders with their outbox rows.
    struct Place: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write orders to the producer's database, each with its outbox row in one transaction.")

        @Option(help: "The producer's SQLite database (created if absent).")
        var db: String

        @Option(help: "How many orders to write.")
        var count: Int

        func validate() throws {
            guard (1...Outbox.Demo.ordersMax).contains(count) else {
                throw ValidationError("--count must be 1...\(Outbox.Demo.ordersMax)")
            }
        }

        func run() throws {
            let database = try Outbox.Demo.open(path: db)
            let orders = try Outbox.Demo.placeOrders(count, in: database)!
            print("placed orders \(orders.lowerBound)...\(orders.upperBound)")
        }
    }

    /// `concord outbox relay`: publish unsent outbox rows into the consumer's database.
    struct Relay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the producer's unsent outbox rows, in order, into the consumer's database, then exit.")

        @Option(help: "The producer's SQLite database.")
        var db: String

        @Option(help: "The consumer's SQLite database (created if absent).")
        var target: String

        @Option(help: "Messages per batch.")
        var batchSize: Int = 10

        @Option(help: "Test hook: after publishing this batch (1 for the first) and before marking it sent, write --marker and wait to be killed.")
        var pauseAfterBatch: Int?

        @Option(help: "Test hook: the file written when the relay pauses.")
        var marker: String?

        func validate() throws {
            guard (1...Outbox.Relay.batchSizeMax).contains(batchSize) else {
                throw ValidationError("--batch-size must be 1...\(Outbox.Relay.batchSizeMax)")
            }
            if pauseAfterBatch != nil, marker == nil {
                throw ValidationError("--pause-after-batch needs --marker")
            }
            if let pauseAfterBatch, pauseAfterBatch < 1 {
                throw ValidationError("--pause-after-batch must be at least 1")
            }
            guard FileManager.default.fileExists(atPath: db) else {
                throw ValidationError("no producer database at \(db)")
            }
        }

        func run() throws {
            let producer = try Outbox.Demo.open(path: db)
            let consumer = try Outbox.Demo.open(path: target)
            var relay = try Outbox.Relay(database: producer,
                                         publisher: try Outbox.Demo.ConsumerPublisher(database: consumer),
                                         batchSize: batchSize)
            if let pauseAfterBatch, let marker {
                relay.afterPublishing = { batch, messages in
                    guard batch == pauseAfterBatch else { return }
                    // Published, not yet marked sent: the window a crash must survive.
                    let note = "paused after batch \(batch) (sequences \(messages.first!.sequence)...\(messages.last!.sequence)), pid \(getpid())\n"
                    guard FileManager.default.createFile(atPath: marker, contents: Data(note.utf8)) else {
                        throw ValidationError("cannot write the marker file \(marker)")
                    }
                    FileHandle.standardOutput.write(Data(note.utf8))
                    while true { sleep(60) }
                }
            }
            let relayed = try relay.relayUntilEmpty()
            print("relayed \(relayed) messages")
        }
    }

    /// `concord outbox status`: counts on both sides.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show unsent outbox rows and the consumer's deliveries and effects.")

        @Option(help: "The producer's SQLite database.")
        var db: String

        @Option(help: "The consumer's SQLite database.")
        var target: String

        func run() throws {
            let unsent = try Outbox.Demo.open(path: db).read { db in try Outbox.unsentCount(in: db) }
            let consumer = try Outbox.Demo.open(path: target)
            try consumer.write { db in try Outbox.Demo.prepareConsumer(db) }
            let report = try consumer.read { db in try Outbox.Demo.consumerReport(db) }
            print("unsent \(unsent) deliveries \(report.deliveries) distinct-deliveries \(report.distinctDeliveries) "
                  + "shipments \(report.shipments) distinct-shipments \(report.distinctShipments) "
                  + "in-order \(report.shipmentsInOrder)")
        }
    }

    /// `concord outbox bench`: outbox rows relayed per second.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure outbox rows relayed per second on SQLite (build with -c release).")

        @Option(help: "How many outbox rows to relay.")
        var rows: Int = 20_000

        @Option(help: "Messages per batch.")
        var batchSize: Int = 100

        func validate() throws {
            guard (1...1_000_000).contains(rows) else { throw ValidationError("--rows must be 1...1000000") }
            guard (1...Outbox.Relay.batchSizeMax).contains(batchSize) else {
                throw ValidationError("--batch-size must be 1...\(Outbox.Relay.batchSizeMax)")
            }
        }

        func run() throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("concord-outbox-bench-\(getpid())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let producer = try Outbox.Demo.open(path: directory.appendingPathComponent("producer.sqlite").path)
            let consumer = try Outbox.Demo.open(path: directory.appendingPathComponent("consumer.sqlite").path)
            let clock = ContinuousClock()
            let placing = try clock.measure {
                _ = try Outbox.Demo.placeOrders(rows, in: producer, ordersPerTransaction: batchSize)
            }
            var relay = try Outbox.Relay(database: producer, publisher: try Outbox.Demo.ConsumerPublisher(database: consumer),
                                         batchSize: batchSize)
            var relayed = 0
            let relaying = try clock.measure { relayed = try relay.relayUntilEmpty() }
            let report = try consumer.read { db in try Outbox.Demo.consumerReport(db) }
            guard relayed == rows, report.shipments == rows else {
                throw ValidationError("relayed \(relayed) and shipped \(report.shipments) of \(rows) rows")
            }
            func perSecond(_ duration: Duration) -> Int {
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                return Int(Double(rows) / seconds)
            }
            let synchronous = try Outbox.Demo.synchronousSetting(of: consumer)
            print("outbox-relay: \(rows) rows, batch \(batchSize) "
                  + "(SQLite WAL, synchronous=\(synchronous == 2 ? "FULL" : String(synchronous)), every commit synced)")
            print("  placed  \(perSecond(placing)) orders/s (order row + outbox row, \(batchSize) orders per transaction)")
            print("  relayed \(perSecond(relaying)) rows/s (per batch: one consumer transaction with inbox dedup, "
                  + "then one producer transaction marking it sent)")
            print("  command: swift run -c release concord outbox bench --rows \(rows) --batch-size \(batchSize)")
        }
    }
}
