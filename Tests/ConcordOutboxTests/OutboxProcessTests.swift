import Foundation
import GRDB
import Testing
@testable import ConcordOutbox

/// The relay as a real process, killed with SIGKILL between publishing a
/// batch and marking it sent.
@Suite("Transactional outbox across a kill -9")
struct OutboxProcessTests {
    /// The longest any one wait in this suite may take.
    static let deadlineSeconds: Double = 60

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The `concord` executable built next to this test bundle.
    static func concordBinary() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["CONCORD_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        guard var directory = Bundle.main.executableURL?.deletingLastPathComponent() else {
            throw Failure(description: "cannot locate the test executable")
        }
        // Linux: the binary sits beside the test executable; macOS: a few
        // levels up, beside the .xctest bundle.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("concord")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw Failure(description: "the concord executable is not in the build products directory; "
                      + "build it first (swift build --build-tests builds it) or set CONCORD_BINARY")
    }

    static func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try concordBinary()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls `condition` until it holds or the deadline passes.
    static func wait(for what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(deadlineSeconds)
        while try !condition() {
            guard Date() < deadline else { throw Failure(description: "timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    @Test func killingTheRelayBetweenPublishingAndMarkingSentLosesNothingAndAppliesEachEffectOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let producerPath = directory.appendingPathComponent("producer.sqlite").path
        let consumerPath = directory.appendingPathComponent("consumer.sqlite").path
        let marker = directory.appendingPathComponent("paused").path
        let orders = 50, batchSize = 10, pausedBatch = 3

        let producer = try Outbox.Demo.open(path: producerPath)
        _ = try Outbox.Demo.placeOrders(orders, in: producer)

        let relay = try Self.launch(["outbox", "relay", "--db", producerPath, "--target", consumerPath,
                                     "--batch-size", "\(batchSize)", "--pause-after-batch", "\(pausedBatch)",
                                     "--marker", marker])
        try Self.wait(for: "the relay to pause after publishing batch \(pausedBatch)") {
            guard relay.isRunning else { throw Failure(description: "the relay exited with \(relay.terminationStatus)") }
            return FileManager.default.fileExists(atPath: marker)
        }
        // Batch 3 is in the consumer's database but not marked sent.
        let consumer = try Outbox.Demo.open(path: consumerPath)
        #expect(try consumer.read { db in try Outbox.Demo.consumerReport(db) }.shipments == pausedBatch * batchSize)
        #expect(try producer.read { db in try Outbox.unsentCount(in: db) } == orders - (pausedBatch - 1) * batchSize)

        kill(relay.processIdentifier, SIGKILL)
        relay.waitUntilExit()
        #expect(relay.terminationReason == .uncaughtSignal)

        // The producer keeps writing while no relay runs.
        let late = 7
        _ = try Outbox.Demo.placeOrders(late, in: producer)

        let restarted = try Self.launch(["outbox", "relay", "--db", producerPath, "--target", consumerPath,
                                         "--batch-size", "\(batchSize)"])
        try Self.wait(for: "the restarted relay to finish") { !restarted.isRunning }
        #expect(restarted.terminationStatus == 0)

        let report = try consumer.read { db in try Outbox.Demo.consumerReport(db) }
        #expect(try producer.read { db in try Outbox.unsentCount(in: db) } == 0)
        // The paused batch was delivered twice; every order shipped exactly once, in order.
        #expect(report.deliveries == orders + late + batchSize)
        #expect(report.distinctDeliveries == orders + late)
        #expect(report.shipments == orders + late)
        #expect(report.distinctShipments == orders + late)
        #expect(report.shipmentsInOrder)
    }
}
