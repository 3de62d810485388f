import ConcordClocks
import ConcordFoundation
import ConcordSimulation

/// The `commit-wait` scenario: 3 to 5 servers whose clocks are off by up to
/// 0.9 ε and drift within the bound, each with a TrueTime-style
/// `IntervalClock` of uncertainty ε (1 to 20 ms, from the seed), commit the
/// transactions of 2 to 4 clients, which run them one after another against
/// random servers and retry on timeouts, under network faults and pauses.
/// A server takes `TT.now().latest` as the commit timestamp and answers only
/// once `TT.after(timestamp)` holds (commit wait, Spanner §4.1.2).
///
/// Checks: external consistency (if T1 completed before T2 started, in
/// true time, then T1's timestamp is smaller), every `TT.now()` a server
/// read contained true time, and every transaction completed. The verdict
/// reports the cost: each commit's wait, in true time, against ε.
///
/// Bug switches (``CommitWaitBug``): `no-commit-wait`, `small-epsilon`,
/// `earliest-timestamp`.
enum CommitWaitScenario {
    /// Clients start transactions during this phase, faults strike in it.
    static let activePhase = SimulationDuration.seconds(1)
    /// After the active phase every transaction must complete within this.
    static let livenessBound = SimulationDuration.seconds(2)
    static let driftPartsPerMillion: Int64 = 50

    static let scenario = Scenario(
        name: "commit-wait",
        summary: "TrueTime-style commit wait: external consistency with it, violated without; cost about 2ε "
            + "(bugs: \(CommitWaitBug.allCases.map(\.rawValue).joined(separator: ", ")))"
    ) { options in
        run(options).result
    }

    /// What one run measured, beyond the result.
    struct Measurement: Sendable {
        var result: ScenarioResult
        var epsilonNanoseconds: Int64
        /// Each commit's wait, in true time.
        var waits: [Int64]
        /// Each completed transaction's latency at its client, in true time.
        var latencies: [Int64]
    }

    static func settings(seed: UInt64, bug: CommitWaitBug?) -> CommitWaitSettings {
        var random = SeededRandom(seed: seed ^ 0xC0A1_7A17_0000_0003)
        let servers = Array(1...FaultLimits.clusterSize(seed: seed, in: 3...5))
        let clientCount = Int(random.next(in: 2...4))
        let epsilon = [1, 2, 5, 10, 20][random.index(below: 5)] * Int64(1_000_000)
        return CommitWaitSettings(
            servers: servers, clients: Array(101..<(101 + clientCount)), epsilonNanoseconds: epsilon,
            driftPartsPerMillion: driftPartsPerMillion, transactionsPerClient: Int(random.next(in: 5...15)),
            thinkTimeMax: .milliseconds(random.next(in: 0...5)), retryTimeout: .milliseconds(100), bug: bug)
    }

    /// Runs once; `epsilon` fixes ε instead of drawing it from the seed.
    static func run(_ options: ScenarioOptions, epsilon fixedEpsilon: Int64? = nil) -> Measurement {
        var bug: CommitWaitBug?
        if let name = options.bug {
            guard let known = CommitWaitBug(rawValue: name) else {
                let result = ScenarioResult(
                    passed: false,
                    verdict: "unknown bug '\(name)'; known: \(CommitWaitBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
                return Measurement(result: result, epsilonNanoseconds: 0, waits: [], latencies: [])
            }
            bug = known
        }
        var settings = settings(seed: options.seed, bug: bug)
        if let fixedEpsilon { settings.epsilonNanoseconds = fixedEpsilon }
        let epsilon = settings.epsilonNanoseconds
        // One-way latencies up to ε/2: the closer two transactions follow
        // each other, the more a clock error can reorder their timestamps.
        let limits = FaultLimits(
            kinds: [.network, .pause], faultIntervalMin: .milliseconds(30), faultIntervalMax: .milliseconds(300),
            latencyMin: .microseconds(50), latencyMax: .nanoseconds(max(100_000, epsilon / 2)), lossPerMillionMax: 100_000)
        var simulator = Simulator<CommitWaitNode>(
            seed: options.seed, nodeIDs: settings.servers + settings.clients, recordsTrace: options.recordTimeline,
            recordsEvents: options.recordEvents, describeMessage: { $0.description },
            makeNode: { id, _, context in CommitWaitNode(id: id, settings: settings, context: &context) })
        var random = SeededRandom(seed: options.seed ^ 0xC0A1_7A17_0000_0004)
        for server in settings.servers {
            let skew = random.next(in: -(epsilon * 9 / 10)...(epsilon * 9 / 10))
            let drift = Int32(random.next(in: -(driftPartsPerMillion - 1)...(driftPartsPerMillion - 1)))
            simulator.setClock(server, skew: .nanoseconds(skew), driftPerMillion: drift)
        }
        let plan = FaultPlan.random(seed: options.seed, nodes: settings.servers, safetyPhase: activePhase, limits: limits)
        plan.schedule(on: &simulator)
        for server in settings.servers { simulator.schedule(.resume(server), at: plan.healedAt) }
        let deadline = plan.healedAt + livenessBound
        simulator.run(until: deadline) { simulator in
            settings.clients.contains { simulator.node($0)?.client?.current != nil
                || (simulator.node($0)?.client?.issued ?? 0) < settings.transactionsPerClient }
        }

        var problems: [String] = []
        var transactions: [(id: Int, operation: RecordedOperation)] = []
        var committed: [(index: Int, timestamp: Int64, start: Int64, end: Int64)] = []
        for clientID in settings.clients {
            guard let client = simulator.node(clientID)?.client else { continue }
            let first = transactions.count
            let operations = client.history.recordedOperations(
                node: { $0 }, firstID: first,
                describe: { transaction, timestamp in "t\(transaction)" + (timestamp.map { " at \($0)" } ?? "") })
            for (index, operation) in operations.enumerated() {
                transactions.append((client.history.operation(index), operation))
            }
            for event in client.history.events where event.kind == .ok {
                let index = first + event.operationIndex
                committed.append((index, event.result!, transactions[index].operation.invokedAt.nanoseconds, event.time.nanoseconds))
            }
            if client.current != nil || client.issued < settings.transactionsPerClient {
                problems.append("n\(clientID) had not finished its transactions \(livenessBound)s after the faults ended")
            }
        }
        var misses: [String] = []
        var waits: [SimulationDuration] = []
        for serverID in settings.servers {
            guard let server = simulator.node(serverID)?.server else { continue }
            misses += server.intervalMisses
            waits += server.waits
        }
        if !misses.isEmpty { problems.append("\(misses.count) TT.now() intervals missed true time, e.g. \(misses[0])") }

        // External consistency over every ordered pair of completed transactions.
        var offending: Set<Int> = []
        var violations = 0
        var example: String?
        for first in committed {
            for second in committed where first.end < second.start && first.timestamp >= second.timestamp {
                violations += 1
                offending.insert(first.index)
                offending.insert(second.index)
                if example == nil {
                    example = "t\(transactions[first.index].id) completed at \(first.end) ns before t\(transactions[second.index].id) "
                        + "started at \(second.start) ns, yet its timestamp \(first.timestamp) ≥ \(second.timestamp)"
                }
            }
        }
        if let example { problems.insert("external consistency violated on \(violations) pairs, e.g. \(example)", at: 0) }

        let meanWait = waits.isEmpty ? 0 : waits.reduce(Int64(0)) { $0 + $1.nanoseconds } / Int64(waits.count)
        let ratio = Double(meanWait) / Double(epsilon)
        let cost = "ε \(epsilon / 1_000_000) ms, mean commit wait \(Self.milliseconds(meanWait)) ms = \(Self.twoDecimals(ratio))ε "
            + "over \(waits.count) commits on \(settings.servers.count) servers"
        let verdict = problems.isEmpty
            ? "external consistency held on all \(committed.count) transactions and every TT.now() contained true time; "
                + "\(cost); \(plan.summary)"
            : problems.prefix(3).joined(separator: "; ") + " (\(cost)); \(plan.summary)"
        var timeline: [String] = []
        if options.recordTimeline {
            timeline.append("seed \(options.seed): \(cost); \(plan.summary)")
            timeline += simulator.trace.filter(RegisterScenario.isTimelineLine)
            timeline += problems.map { "VIOLATION: \($0)" }
        }
        var operations: [RecordedOperation] = []
        if options.recordEvents {
            operations = transactions.enumerated().map { index, transaction in
                var operation = transaction.operation
                operation.isOffending = offending.contains(index)
                return operation
            }
        }
        let result = ScenarioResult(
            passed: problems.isEmpty, verdict: verdict, timeline: timeline, traceHash: simulator.traceHash,
            recording: simulator.recording, operations: operations)
        let latencies = committed.map { $0.end - $0.start }
        return Measurement(result: result, epsilonNanoseconds: epsilon, waits: waits.map(\.nanoseconds), latencies: latencies)
    }

    static func milliseconds(_ nanoseconds: Int64) -> String { twoDecimals(Double(nanoseconds) / 1_000_000) }

    static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
