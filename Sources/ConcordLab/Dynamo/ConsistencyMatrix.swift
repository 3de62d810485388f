import ConcordChecker
import ConcordDynamo
import ConcordSimulation

/// The consistency decision matrix, measured: the same shape of workload
/// on five members, a partition from 1 s to 2 s that cuts two members (and
/// the clients beside them) from the other three, and for each consistency
/// level the latency of successful operations, the share answered within
/// `answerDeadline` before and during the partition on each side, and the
/// share of reads that missed the last write acknowledged before they
/// began. The strong row is Raft under the real server core (the `raft`
/// scenario's servers) under the same partition.
///
/// `concord sim consistency-matrix --seed S` measures seeds S…S+`seedCount`−1.
public enum ConsistencyMatrix {
    public static let scenario = Scenario(
        name: "consistency-matrix",
        summary: "measurement: latency, availability during a partition and stale reads per consistency level, beside Raft",
        isMeasurement: true
    ) { options in
        let rows = measure(firstSeed: options.seed, seeds: seedCount)
        return ScenarioResult(passed: true, verdict: "\(rows.count) levels measured", timeline: table(rows, firstSeed: options.seed), traceHash: 0)
    }

    public static let seedCount: UInt64 = 5
    static let members = [1, 2, 3, 4, 5]
    static let minority = [1, 2]
    static let clients = [101, 102, 103, 104]
    /// Clients 101 and 102 use n1 and n2 (the minority side), the others
    /// n3, n4 and n5, a random one of them for each request.
    static let homes = [minority, minority, [3, 4, 5], [3, 4, 5]]
    static let partitionStart = SimulationInstant.zero + .seconds(1)
    static let partitionEnd = SimulationInstant.zero + .seconds(2)
    static let clientsStop = SimulationInstant.zero + .seconds(3)
    /// An operation counts as available when it succeeds within this.
    static let answerDeadline = SimulationDuration.seconds(1)

    /// One level's figures.
    struct Row {
        var name: String
        var promise: String
        var latencies: [Int64] = []
        var healthyInvoked = 0
        var healthyAnswered = 0
        var minorityInvoked = 0
        var minorityAnswered = 0
        /// Minority-side operations begun during the partition and answered
        /// before it healed.
        var minorityAnsweredCutOff = 0
        var majorityInvoked = 0
        var majorityAnswered = 0
        var reads = 0
        var staleReads = 0
        var linearizable: Bool?

        /// Counts one operation: `completed` (nil: never answered) and
        /// whether it succeeded. An operation belongs to the partition if it
        /// began during it or was still waiting for its answer when it began.
        mutating func count(invoked: SimulationInstant, completed: SimulationInstant?, succeeded: Bool, client: NodeID) {
            let latency = completed.map { $0 - invoked }
            let answered = succeeded && latency.map { $0 <= answerDeadline } ?? false
            if succeeded, let latency { latencies.append(latency.nanoseconds) }
            let waitingAtStart = invoked < partitionStart && (completed.map { $0 > partitionStart } ?? true)
            if waitingAtStart || (invoked >= partitionStart && invoked < partitionEnd) {
                if homes[clients.firstIndex(of: client)!] == minority {
                    minorityInvoked += 1
                    if answered { minorityAnswered += 1 }
                    if answered, invoked >= partitionStart, let completed, completed < partitionEnd { minorityAnsweredCutOff += 1 }
                } else {
                    majorityInvoked += 1
                    if answered { majorityAnswered += 1 }
                }
            } else if invoked < partitionStart {
                healthyInvoked += 1
                if answered { healthyAnswered += 1 }
            }
        }
    }

    /// The Dynamo levels of the matrix.
    static let levels: [(name: String, promise: String, consistency: RequestConsistency, sessions: Bool)] = [
        ("ALL, R=W=3", "reads see every acknowledged write while no replica fails", RequestConsistency(read: .all, write: .all, sloppy: false), false),
        ("QUORUM, R=W=2 strict", "R+W>N: reads overlap the last write's replicas", RequestConsistency(read: .quorum, write: .quorum, sloppy: false), false),
        ("QUORUM, R=W=2 sloppy", "as strict while no failure; fallbacks break the overlap", RequestConsistency(read: .quorum, write: .quorum, sloppy: true), false),
        ("causal, R=W=1", "causal+: dependencies visible first; sessions across keys", RequestConsistency(read: .one, write: .one, causal: true), true),
        ("read-your-writes, R=W=1", "session guarantees per key, nothing across sessions", RequestConsistency(read: .one, write: .one, sloppy: true), true),
        ("eventual, R=W=1", "replicas converge once writes stop", RequestConsistency(read: .one, write: .one, sloppy: true), false),
    ]

    static func measure(firstSeed: UInt64, seeds: UInt64) -> [Row] {
        var rows = [raftRow(firstSeed: firstSeed, seeds: seeds)]
        for level in levels {
            var row = Row(name: level.name, promise: level.promise)
            for seed in firstSeed..<(firstSeed + seeds) {
                measureDynamo(seed: seed, consistency: level.consistency, sessions: level.sessions, into: &row)
            }
            rows.append(row)
        }
        return rows
    }

    static func dynamoSettings(consistency: RequestConsistency, sessions: Bool) -> DynamoLabSettings {
        var dynamo = DynamoSettings()
        dynamo.replicationFactor = 3
        var settings = DynamoLabSettings(
            members: members, clients: clients, homes: homes, dynamo: dynamo,
            workload: DynamoLabWorkload(registerKeys: ["k0", "k1", "k2", "k3"], counterKeys: [], setKeys: [], deletes: false),
            sessions: sessions, consistencies: [consistency], clientsStopAt: clientsStop)
        settings.thinkTimeMax = .milliseconds(10)
        settings.clientTimeout = .milliseconds(1_500)
        return settings
    }

    static func measureDynamo(seed: UInt64, consistency: RequestConsistency, sessions: Bool, into row: inout Row) {
        let settings = dynamoSettings(consistency: consistency, sessions: sessions)
        var run = DynamoLabRun(seed: seed, settings: settings, recordsTrace: false)
        run.simulator.schedule(.partition([minority + clients.prefix(2), [3, 4, 5] + clients.suffix(2)]), at: partitionStart)
        run.simulator.schedule(.heal, at: partitionEnd)
        run.run(until: clientsStop + .seconds(2))
        let records = run.records
        for record in records {
            row.count(invoked: record.invoked, completed: record.completed, succeeded: record.outcome == .ok, client: clients[record.client])
        }
        let (reads, stale) = staleReads(records)
        row.reads += reads
        row.staleReads += stale
    }

    /// Reads that missed the last write of their key acknowledged before
    /// they began (neither returning it nor a value written after it).
    static func staleReads(_ records: [DynamoLabRecord]) -> (reads: Int, stale: Int) {
        var reads = 0
        var stale = 0
        let writes = records.filter { if case .put = $0.operation.action { $0.outcome == .ok } else { false } }
        for read in records where read.operation.action == .get && read.outcome == .ok {
            guard case .values(let values, _)? = read.result else { continue }
            reads += 1
            let before = writes.filter { $0.operation.key == read.operation.key && $0.completed! < read.invoked }
            guard let last = before.max(by: { $0.completed! < $1.completed! }), case .put(let lastValue) = last.operation.action else { continue }
            let newer = records.contains { record in
                guard case .put(let value) = record.operation.action, record.operation.key == read.operation.key else { return false }
                return values.contains(value) && record.invoked > last.completed!
            }
            if !values.contains(lastValue) && !newer { stale += 1 }
        }
        return (reads, stale)
    }

    /// The strong row: the `raft` scenario's server cores (Raft under the
    /// real server core, real storage on the simulated disk) on the same
    /// five members, the same four clients on the same sides of the same
    /// partition, each sending every request to a random member of its side
    /// (members forward to the leader). Only gets, puts and deletes count:
    /// a compare-and-swap's answer "not swapped" and a refusal look alike in
    /// the history, and the leaderless rows have none.
    static func raftRow(firstSeed: UInt64, seeds: UInt64) -> Row {
        var row = Row(name: "strong (Raft)", promise: "linearizable: every read sees the latest acknowledged write")
        var linearizable = true
        let finalReader = 105
        for seed in firstSeed..<(firstSeed + seeds) {
            var settings = ServerLabSettings.derive(seed: seed, bugs: [], raftBug: nil, clientsStopAt: clientsStop)
            settings.focusOnRaft(seed: seed)
            settings.founders = members
            settings.clients = clients
            settings.finalReader = finalReader
            settings.keys = ["k0", "k1", "k2", "k3"]
            settings.thinkTimeMax = .milliseconds(10)
            for (index, client) in clients.enumerated() { settings.clientServers[client] = homes[index] }
            let monitor = ServerLabMonitor()
            var simulator = ServerScenario.makeSimulator(
                seed: seed, settings: settings, monitor: monitor, recordsTrace: false, finalReadAt: clientsStop + .seconds(1))
            simulator.schedule(.partition([minority + clients.prefix(2), [3, 4, 5] + clients.suffix(2) + [finalReader]]), at: partitionStart)
            simulator.schedule(.heal, at: partitionEnd)
            simulator.run(until: clientsStop + .seconds(3))
            for client in clients {
                guard case .client(let node) = simulator.node(client) else { continue }
                var invoked: [Int: (time: SimulationInstant, counted: Bool)] = [:]
                for event in node.history.events {
                    switch event.kind {
                    case .invoke: invoked[event.operationIndex] = (event.time, event.operation.function != .cas)
                    case .ok, .fail, .info:
                        let start = invoked.removeValue(forKey: event.operationIndex)!
                        guard start.counted else { continue }
                        row.count(invoked: start.time, completed: event.time, succeeded: event.kind == .ok, client: client)
                        if event.kind == .ok && event.operation.function == .get { row.reads += 1 }
                    }
                }
                for start in invoked.values.sorted(by: { $0.time.nanoseconds < $1.time.nanoseconds }) where start.counted {
                    row.count(invoked: start.time, completed: nil, succeeded: false, client: client)
                }
            }
            let events = ServerScenario.collectHistory(simulator, settings)
            if !monitor.violations.isEmpty { linearizable = false }
            if let checked = try? History(events), case .linearizable = checkLinearizability(checked, model: .kv, budget: ServerScenario.checkBudget) {
                continue
            }
            linearizable = false
        }
        row.linearizable = linearizable
        return row
    }

    static func percentile(_ values: [Int64], _ fraction: Double) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        let milliseconds = Double(sorted[max(index, 0)]) / 1_000_000
        return milliseconds < 10 ? String(format1: milliseconds) : String(Int(milliseconds.rounded()))
    }

    static func share(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "-" }
        return "\(Int((Double(part) * 100 / Double(whole)).rounded()))%"
    }

    static func table(_ rows: [Row], firstSeed: UInt64) -> [String] {
        var lines = [
            "Consistency decision matrix: 5 members (N=3 for the leaderless store), 4 clients, two beside n1 and n2, two beside",
            "n3, n4 and n5 (each request to a random member on its side; Raft members forward to the leader);",
            "partition {n1,n2} | {n3,n4,n5} from 1 s to 2 s; seeds \(firstSeed)...\(firstSeed + seedCount - 1); virtual time.",
            "Available: share of operations answered successfully within \(answerDeadline.nanoseconds / 1_000_000_000) s; in parentheses, begun in the partition and answered before the heal.",
            "",
            "| level | promise | p50 ms | p99 ms | available, healthy | in partition, minority side (before the heal) | in partition, majority side | stale reads |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            let stale = row.linearizable.map { $0 ? "0 (linearizable)" : "not linearizable" }
                ?? "\(share(row.staleReads, row.reads)) of \(row.reads)"
            lines.append("| \(row.name) | \(row.promise) | \(percentile(row.latencies, 0.5)) | \(percentile(row.latencies, 0.99)) | "
                + "\(share(row.healthyAnswered, row.healthyInvoked)) | "
                + "\(share(row.minorityAnswered, row.minorityInvoked)) (\(share(row.minorityAnsweredCutOff, row.minorityInvoked))) | "
                + "\(share(row.majorityAnswered, row.majorityInvoked)) | \(stale) |")
        }
        lines.append("")
        lines.append("Sequential consistency has no row: the leaderless store offers nothing between causal+ and linearizable, and Raft gives linearizable.")
        return lines
    }
}

extension String {
    /// A number with one decimal.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
