import ConcordFoundation
import ArgumentParser
import ConcordClient
import ConcordLab
import Foundation
import Synchronization

/// `concord bench`: a load generator for any etcd v3 endpoints (a Concord
/// cluster or etcd). A benchmark, not a test: it prints throughput and
/// latency percentiles, and the command that reproduces them.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load an etcd v3 cluster (Concord or etcd) and report throughput and latency percentiles."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable, Codable {
        case put
        case range
        case rangeSerializable = "range-serializable"
        case txnPut = "txn-put"
        case watch
    }

    @Argument(help: "Workload: put, range (linearizable), range-serializable, txn-put, or watch (put-to-event latency).")
    var workload: Workload

    @Option(help: "Comma-separated endpoints, host:port.")
    var endpoints: String = "127.0.0.1:2379"

    @Option(help: "Concurrent clients, each with one request in flight.")
    var clients: Int = 1

    @Option(help: "Connections, shared round-robin by the clients; connection i prefers endpoint i modulo the endpoint count (as etcd's benchmark spreads its clients), failing over to the others.")
    var connections: Int = 1

    @Option(help: "Requests in total.")
    var total: Int = 10_000

    @Option(help: "Key size in bytes.")
    var keySize: Int = 8

    @Option(help: "Value size in bytes.")
    var valueSize: Int = 256

    @Option(help: "Distinct keys the workload touches.")
    var keySpace: Int = 10_000

    @Option(help: "Seed for key choice.")
    var seed: UInt64 = 1

    @Option(help: "Range workloads: read this many consecutive keys per request, from a random key of the key space (0: one key).")
    var rangeLimit: Int = 0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Do not draw the progress bar on stderr.")
    var noProgress = false

    @Flag(help: "Range workloads: skip writing every key of the key space first (it was written by an earlier run).")
    var noPopulate = false

    @Option(help: "Write a self-contained HTML page with the latency histogram and the throughput over time to this file.")
    var html: String?

    @Option(help: "Name the side measured (for example etcd or concord) in the JSON output and the page.")
    var label: String = ""

    /// The longest a watch workload waits for its last event after the last put.
    static let watchDrainDeadline: Duration = .seconds(30)
    /// The most requests and clients one run accepts.
    static let totalMax = 100_000_000
    static let clientsMax = 10_000
    static let sizeMax = 1 << 20

    func validate() throws {
        guard (1...Self.clientsMax).contains(clients) else { throw ValidationError("--clients must be 1...\(Self.clientsMax)") }
        guard (1...clients).contains(connections) else { throw ValidationError("--connections must be 1...clients") }
        guard (1...Self.totalMax).contains(total) else { throw ValidationError("--total must be 1...\(Self.totalMax)") }
        guard (4...Self.sizeMax).contains(keySize) else { throw ValidationError("--key-size must be 4...\(Self.sizeMax) bytes") }
        guard (0...Self.sizeMax).contains(valueSize) else { throw ValidationError("--value-size must be 0...\(Self.sizeMax) bytes") }
        guard keySpace >= 1 else { throw ValidationError("--key-space must be at least 1") }
        guard rangeLimit >= 0, rangeLimit <= keySpace else { throw ValidationError("--range-limit must be 0...--key-space") }
        if rangeLimit > 0, workload != .range, workload != .rangeSerializable {
            throw ValidationError("--range-limit applies to the range workloads only")
        }
        if workload == .watch, valueSize < 20 { throw ValidationError("the watch workload needs --value-size of at least 20 (it carries a timestamp)") }
    }

    var commandLine: String {
        "concord bench \(workload.rawValue) --endpoints \(endpoints) --clients \(clients) --connections \(connections) "
            + "--total \(total) --key-size \(keySize) --value-size \(valueSize) --key-space \(keySpace)"
            + (rangeLimit > 0 ? " --range-limit \(rangeLimit)" : "")
    }

    func run() async throws {
        let endpointList = endpoints.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        // Connection i starts at endpoint i (mod count), so the load spreads
        // over the members as it would from many clients, rather than all of
        // it landing on whichever member (leader or follower) is listed first.
        let pool = try (0..<connections).map { index in
            let first = index % endpointList.count
            return try ConcordClient(endpoints: Array(endpointList[first...] + endpointList[..<first]))
        }
        defer { for client in pool { client.close() } }
        let keyPrefix = workload == .watch ? "bw" : "bk"
        let keys = BenchKeyMaker(prefix: keyPrefix, size: keySize)

        if (workload == .range || workload == .rangeSerializable) && !noPopulate {
            try await populate(pool: pool, keys: keys)
        }
        let progress = BenchProgress(total: total)
        let progressTask = noProgress ? nil : Task { await progress.draw() }
        let result: Measurement
        do {
            result = workload == .watch
                ? try await measureWatch(pool: pool, keys: keys, progress: progress)
                : try await measureRequests(pool: pool, keys: keys, progress: progress)
        } catch {
            progressTask?.cancel()
            throw error
        }
        progressTask?.cancel()
        _ = await progressTask?.value
        if !noProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let run = benchRun(result)
        report(run)
        if let html {
            let page = BenchPage.render([run], title: "concord bench \(workload.rawValue), \(clients) client\(clients == 1 ? "" : "s")")
            do {
                try page.write(toFile: html, atomically: true, encoding: .utf8)
                FileHandle.standardError.write(Data("page written to \(html)\n".utf8))
            } catch {
                throw ValidationError("cannot write \(html): \(error.localizedDescription)")
            }
        }
    }

    struct Measurement {
        var recorded = BenchRecorder.Stripe()
        var errors = 0
        var firstError: String?
        var seconds = 0.0
    }

    private func value(for index: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: valueSize)
    }

    private func populate(pool: [ConcordClient], keys: BenchKeyMaker) async throws {
        let count = keySpace
        let next = BenchTicketCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                let client = pool[c % pool.count]
                group.addTask {
                    while case let index = next.take(), index < count {
                        try await client.put(keys.key(index), value(for: index))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func measureRequests(pool: [ConcordClient], keys: BenchKeyMaker, progress: BenchProgress) async throws -> Measurement {
        let issued = BenchTicketCounter()
        let total = self.total
        let workload = self.workload
        let keySpace = self.keySpace
        let rangeLimit = self.rangeLimit
        // A range of `rangeLimit` keys starts where that many keys remain.
        let startSpace = rangeLimit > 0 ? keySpace - rangeLimit + 1 : keySpace
        let prefixEnd = keys.prefixEnd
        let clock = ContinuousClock()
        let recorder = BenchRecorder(clients: clients)
        let start = recorder.start
        var merged = Measurement()
        try await withThrowingTaskGroup(of: Measurement.self) { group in
            for c in 0..<clients {
                let client = pool[c % pool.count]
                var random = SplitMix64(seed: seed &+ UInt64(c) &* 0x9E37_79B9_7F4A_7C15)
                group.addTask {
                    var local = Measurement()
                    var readOptions = GetOptions()
                    readOptions.serializable = workload == .rangeSerializable
                    readOptions.limit = Int64(rangeLimit)
                    while issued.take() < total {
                        let index = Int(random.next() % UInt64(startSpace))
                        let key = keys.key(index)
                        let began = clock.now
                        do {
                            switch workload {
                            case .put: try await client.put(key, value(for: index))
                            case .range, .rangeSerializable:
                                if rangeLimit > 0 {
                                    let read = try await client.get(.range(from: key, to: prefixEnd), options: readOptions)
                                    if read.kvs.count != rangeLimit { throw BenchRangeShortError(expected: rangeLimit, got: read.kvs.count) }
                                } else {
                                    _ = try await client.get(.key(key), options: readOptions)
                                }
                            case .txnPut: _ = try await client.txn().then(.put(key, value(for: index))).commit()
                            case .watch: preconditionFailure("the watch workload is measured separately")
                            }
                            recorder.record(client: c, latencyNanoseconds: UInt64((clock.now - began).benchNanoseconds))
                        } catch {
                            local.errors += 1
                            if local.firstError == nil { local.firstError = "\(error)" }
                        }
                        progress.advance()
                    }
                    return local
                }
            }
            for try await local in group {
                merged.errors += local.errors
                merged.firstError = merged.firstError ?? local.firstError
            }
        }
        merged.seconds = (clock.now - start).benchSeconds
        merged.recorded = recorder.merged()
        return merged
    }

    /// Puts carry the instant they were sent; one watcher on the workload's
    /// prefix records, per event, the time from send to delivery.
    private func measureWatch(pool: [ConcordClient], keys: BenchKeyMaker, progress: BenchProgress) async throws -> Measurement {
        let clock = ContinuousClock()
        let origin = clock.now
        let baseline = try await pool[0].put(keys.key(0) + "-start", "x")
        var options = WatchOptions()
        options.startRevision = baseline.revision + 1
        let events = pool[0].watch(.prefix(keys.prefix), options: options)
        let total = self.total
        let valueSize = self.valueSize
        let recorder = BenchRecorder(clients: 1)
        let watcher = Task { () throws -> Bool in
            var seen = 0
            for try await event in events where event.kind == .put {
                let stamp = UInt64(String(decoding: event.kv.value.prefix(20), as: UTF8.self)) ?? 0
                let now = UInt64((clock.now - origin).benchNanoseconds)
                recorder.record(client: 0, latencyNanoseconds: now &- stamp)
                progress.advance()
                seen += 1
                if seen == total { break }
            }
            return true
        }
        let issued = BenchTicketCounter()
        let keySpace = self.keySpace
        let start = recorder.start
        var errors = 0
        var firstError: String?
        try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for c in 0..<clients {
                let client = pool[c % pool.count]
                var random = SplitMix64(seed: seed &+ UInt64(c) &* 0x9E37_79B9_7F4A_7C15)
                group.addTask {
                    var errors = 0
                    var firstError: String?
                    while issued.take() < total {
                        let key = keys.key(Int(random.next() % UInt64(keySpace)))
                        let stamp = String((clock.now - origin).benchNanoseconds)
                        var value = Array((String(repeating: "0", count: 20 - stamp.count) + stamp).utf8)
                        value += [UInt8](repeating: UInt8(ascii: "v"), count: valueSize - 20)
                        do { try await client.put(key, value) } catch {
                            errors += 1
                            if firstError == nil { firstError = "\(error)" }
                        }
                    }
                    return (errors, firstError)
                }
            }
            for try await (count, message) in group {
                errors += count
                firstError = firstError ?? message
            }
        }
        let finished = try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { try await watcher.value }
            group.addTask {
                try await Task.sleep(for: Self.watchDrainDeadline)
                watcher.cancel()
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        guard finished == true else {
            throw ValidationError("the watcher did not see all \(total) events within \(Self.watchDrainDeadline)")
        }
        var result = Measurement(recorded: recorder.merged(), errors: errors, firstError: firstError)
        result.seconds = (clock.now - start).benchSeconds
        return result
    }

    private func benchRun(_ result: Measurement) -> BenchRun {
        let succeeded = result.recorded.latencies.totalCount
        return BenchRun(
            label: label, command: commandLine, workload: workload.rawValue,
            endpoints: endpoints.split(separator: ",").map(String.init), clients: clients, connections: connections,
            total: total, keySize: keySize, valueSize: valueSize, keySpace: keySpace, succeeded: succeeded,
            errors: result.errors, firstError: result.firstError, seconds: result.seconds,
            requestsPerSecond: result.seconds > 0 ? Double(succeeded) / result.seconds : 0,
            latencyMilliseconds: result.recorded.latencyMilliseconds, latencyBuckets: result.recorded.latencyBuckets,
            throughput: .init(intervalMilliseconds: BenchRecorder.throughputIntervalMilliseconds, completions: result.recorded.completions))
    }

    private func report(_ run: BenchRun) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            emit(String(decoding: (try? encoder.encode(run)) ?? Data(), as: UTF8.self))
        } else {
            let latency = run.latencyMilliseconds
            emit(commandLine)
            emit("\(workload.rawValue): \(run.succeeded) ok, \(run.errors) errors in " + String(format: "%.2f s: %.0f requests/s", run.seconds, run.requestsPerSecond))
            emit(String(
                format: "latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f",
                latency["mean"]!, latency["p50"]!, latency["p90"]!, latency["p99"]!, latency["p99.9"]!, latency["max"]!))
            if let message = run.firstError { emit("first error: \(message)") }
        }
    }

    /// Writes a line to stdout unbuffered, so a script reading a pipe sees it at once.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Keys of a fixed size: a prefix, then the index zero-padded.
struct BenchKeyMaker: Sendable {
    let prefix: String
    let size: Int

    /// The first key after every key this maker makes (the prefix with its
    /// last byte raised by one; prefixes are ASCII letters).
    var prefixEnd: String {
        var bytes = Array(prefix.utf8)
        bytes[bytes.count - 1] += 1
        return String(decoding: bytes, as: UTF8.self)
    }

    func key(_ index: Int) -> String {
        let digits = String(index)
        let padding = max(0, size - prefix.count - digits.count)
        return prefix + String(repeating: "0", count: padding) + digits
    }
}

/// A range read that returned fewer keys than asked for: the key space was
/// not written, and the run would measure less than it claims.
struct BenchRangeShortError: Error, CustomStringConvertible {
    let expected: Int
    let got: Int
    var description: String { "a range read returned \(got) keys, expected \(expected) (is the key space written?)" }
}

/// A shared ticket counter: each `take` returns the next integer.
final class BenchTicketCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Completed requests, drawn as a bar on stderr while the run lasts.
final class BenchProgress: Sendable {
    /// How often the bar is redrawn.
    static let redrawInterval: Duration = .milliseconds(200)
    static let barWidth = 40

    let total: Int
    private let done = Atomic<Int>(0)

    init(total: Int) { self.total = total }

    func advance() { done.wrappingAdd(1, ordering: .relaxed) }

    func draw() async {
        let clock = ContinuousClock()
        let start = clock.now
        while !Task.isCancelled {
            render(elapsed: (clock.now - start).benchSeconds)
            try? await Task.sleep(for: Self.redrawInterval)
        }
        render(elapsed: (clock.now - start).benchSeconds)
    }

    private func render(elapsed: Double) {
        let count = min(done.load(ordering: .relaxed), total)
        let filled = count * Self.barWidth / max(total, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
        let rate = elapsed > 0 ? Double(count) / elapsed : 0
        let line = "\r[\(bar)] \(count * 100 / max(total, 1))% \(count)/\(total) " + String(format: "%.0f/s", rate)
        FileHandle.standardError.write(Data(line.utf8))
    }
}

extension Duration {
    var benchSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
    var benchNanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
