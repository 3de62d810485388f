import ArgumentParser
import ConcordChecker
import ConcordClient
import ConcordFoundation
import Foundation
import Synchronization

/// `concord history record`: clients run get, put, delete and
/// compare-and-set on a few keys of a running cluster (Concord or etcd), and
/// every invocation and completion is recorded as a JSON Lines history for
/// `concord check`.
///
/// Faults come from outside (bench/record-history.sh kills and pauses
/// members while this runs). Each client talks to one endpoint at a time,
/// with no failover inside a request, so a write that fails may or may not
/// have happened and is recorded `info` (its process is then retired and the
/// client continues as a new process, as in Jepsen); a read that fails is
/// recorded `fail`; a compare-and-set that did not swap completes `fail`.
/// After a failure the client moves to the next endpoint.
struct HistoryRecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a kv history (get, put, delete, cas) from a running cluster as JSON Lines.",
        discussion: """
        Example, against a three-member cluster whose members a script kills and pauses:
          concord history record --endpoints 127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 \\
              --clients 12 --keys 5 --operations 45000 --output history.jsonl
        """
    )

    /// The most operations one recording invokes.
    static let operationsMax = 10_000_000
    /// The most clients.
    static let clientsMax = 1_000
    /// How long a client waits after a failure before its next request.
    static let pauseAfterFailure: Duration = .milliseconds(20)

    @Option(help: "Comma-separated endpoints, host:port.")
    var endpoints: String = "127.0.0.1:2379"

    @Option(help: "Concurrent clients, each with one operation in flight.")
    var clients: Int = 12

    @Option(help: "Keys the clients share (k0, k1, ...).")
    var keys: Int = 5

    @Option(help: "Operations to invoke in total.")
    var operations: Int = 45_000

    @Option(help: "Stop invoking new operations after this many seconds, even if fewer than --operations were invoked.")
    var duration: Int?

    @Option(help: "Milliseconds one request may take before the client gives up on it.")
    var requestTimeout: Int = 1_000

    @Option(help: "Seed for the choice of operations and keys.")
    var seed: UInt64 = 1

    @Option(help: "Write the history to this file instead of standard output.")
    var output: String?

    @Flag(help: "Do not draw the progress bar on stderr.")
    var noProgress = false

    func validate() throws {
        guard (1...Self.clientsMax).contains(clients) else { throw ValidationError("--clients must be 1...\(Self.clientsMax)") }
        guard keys >= 1 else { throw ValidationError("--keys must be at least 1") }
        guard (1...Self.operationsMax).contains(operations) else { throw ValidationError("--operations must be 1...\(Self.operationsMax)") }
        if let duration, duration < 1 { throw ValidationError("--duration must be at least 1 second") }
        guard requestTimeout >= 1 else { throw ValidationError("--request-timeout must be at least 1 ms") }
    }

    func run() async throws {
        let endpointList = endpoints.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        var configuration = ConcordClient.Configuration()
        configuration.requestTimeout = .milliseconds(requestTimeout)
        // One client per endpoint, each knowing only its endpoint: a request
        // is never retried elsewhere behind the recorder's back.
        let pool = try endpointList.map { try ConcordClient(endpoints: [$0], configuration: configuration) }
        defer { for client in pool { client.close() } }

        let recorder = HistoryEventRecorder()
        let tickets = BenchTicketCounter()
        let progress = BenchProgress(total: operations)
        let progressTask = noProgress ? nil : Task { await progress.draw() }
        let total = operations
        let keyCount = keys
        let clientCount = clients
        let deadline = duration.map { ContinuousClock.now + .seconds($0) }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<clientCount {
                let random = SplitMix64(seed: seed &+ UInt64(worker) &* 0x9E37_79B9_7F4A_7C15)
                group.addTask {
                    var client = HistoryClient(
                        worker: worker, process: worker, endpoint: worker % pool.count, random: random,
                        pool: pool, recorder: recorder, keyCount: keyCount, processStride: clientCount)
                    while deadline.map({ ContinuousClock.now < $0 }) ?? true, tickets.take() < total {
                        await client.runOne()
                        progress.advance()
                    }
                }
            }
        }
        progressTask?.cancel()
        _ = await progressTask?.value
        if !noProgress { FileHandle.standardError.write(Data("\n".utf8)) }

        let history: History
        do {
            history = try History(recorder.events)
        } catch {
            throw ValidationError("the recorded history is invalid: \(error)")
        }
        var counts: [HistoryOperation.Outcome: Int] = [:]
        for operation in history.operations { counts[operation.outcome, default: 0] += 1 }
        FileHandle.standardError.write(Data((
            "recorded \(history.operations.count) operations on \(keys) keys: \(counts[.ok] ?? 0) ok, "
                + "\(counts[.fail] ?? 0) fail, \(counts[.info] ?? 0) info\n").utf8))
        try writeHistory(history.jsonLines, to: output)
    }
}

/// The events of a recording, in the order they happened, each stamped with
/// microseconds since the recording began.
final class HistoryEventRecorder: Sendable {
    private let events_ = Mutex<[HistoryEvent]>([])
    private let start = ContinuousClock.now

    func record(_ event: HistoryEvent) {
        events_.withLock { events in
            // The time is read under the lock, so it never decreases in order.
            var stamped = event
            let elapsed = ContinuousClock.now - start
            stamped.time = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            events.append(stamped)
        }
    }

    var events: [HistoryEvent] { events_.withLock { $0 } }
}

/// One recording client: picks operations, sends them, records what it saw.
struct HistoryClient {
    let worker: Int
    var process: Int
    var endpoint: Int
    var random: SplitMix64
    let pool: [ConcordClient]
    let recorder: HistoryEventRecorder
    let keyCount: Int
    /// Added to the process number when a process is retired after an `info`.
    let processStride: Int
    var sequence = 0
    /// The last value this client saw per key, as the next `cas` expects.
    var lastSeen: [String: String?] = [:]

    mutating func runOne() async {
        sequence += 1
        let key = "k\(Int(random.next() % UInt64(keyCount)))"
        let value = "\(worker)-\(sequence)"
        let client = pool[endpoint]
        let choice = random.next() % 10
        var failed = false
        switch choice {
        case 0..<4:
            record(.invoke, .get, key)
            do {
                let read = try await client.get(key)?.stringValue
                record(.ok, .get, key, value: read)
                lastSeen[key] = read
            } catch {
                record(.fail, .get, key)
                failed = true
            }
        case 4..<7:
            failed = await write(.put, key, value: value) { _ = try await client.put(key, value) }
            if !failed { lastSeen[key] = value }
        case 7:
            failed = await write(.delete, key) { _ = try await client.delete(.key(key)) }
            if !failed { lastSeen[key] = .some(nil) }
        default:
            let expected = lastSeen[key] ?? nil
            record(.invoke, .cas, key, value: value, expected: expected)
            do {
                let result = try await client.txn()
                    .when(expected.map { .value(key, .equal, $0) } ?? .absent(key))
                    .then(.put(key, value))
                    .else(.get(.key(key)))
                    .commit()
                if result.succeeded {
                    record(.ok, .cas, key, value: value, expected: expected)
                    lastSeen[key] = value
                } else {
                    record(.fail, .cas, key, value: value, expected: expected)
                    if case .get(let range)? = result.results.first { lastSeen[key] = range.kvs.first?.stringValue }
                }
            } catch {
                retire(.cas, key, value: value, expected: expected)
                failed = true
            }
        }
        if failed {
            endpoint = (endpoint + 1) % pool.count
            try? await Task.sleep(for: HistoryRecordCommand.pauseAfterFailure)
        }
    }

    /// Sends a put or delete; on failure records it `info` and retires the process.
    /// - Returns: whether it failed.
    private mutating func write(
        _ function: HistoryEvent.Function, _ key: String, value: String? = nil, _ send: () async throws -> Void
    ) async -> Bool {
        record(.invoke, function, key, value: value)
        do {
            try await send()
            record(.ok, function, key, value: value)
            return false
        } catch {
            retire(function, key, value: value)
            return true
        }
    }

    /// Records an `info` completion: the operation may or may not have taken
    /// effect, so this process issues nothing more and a new one takes over.
    private mutating func retire(_ function: HistoryEvent.Function, _ key: String, value: String?, expected: String? = nil) {
        record(.info, function, key, value: value, expected: expected)
        process += processStride
    }

    private func record(
        _ kind: HistoryEvent.Kind, _ function: HistoryEvent.Function, _ key: String,
        value: String? = nil, expected: String? = nil
    ) {
        recorder.record(HistoryEvent(
            process: process, kind: kind, function: function, key: key, value: value, expected: expected, time: 0))
    }
}
