import ConcordChecker
import ConcordDynamo
import ConcordRaft
import ConcordSimulation

/// The consistency decision matrix, measured: the same shape of workload
/// on five members, a partition from 1 s to 2 s that cuts two members (and
/// the clients beside them) from the other three, and for each consistency
/// level the latency of successful operations, the share answered within
/// `answerDeadline` before and during the partition on each side, and the
/// share of reads that missed the last write acknowledged before they
/// began. The strong row is the Raft key-value lab (`raft` scenario's
/// servers and clients, unchanged) under the same partition.
///
/// `concord sim consistency-matrix --seed S` measures seeds S…S+`seedCount`−1.
public enum ConsistencyMatrix {
    public static let scenario = Scenario(
        name: "consistency-matrix",
        summary: "measurement: latency, availability during a partition and stale reads per consistency level, beside Raft"
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

    /// The strong row: Raft's key-value lab on the same five members, the
    /// same clients (on the same sides of the same partition).
    static func raftRow(firstSeed: UInt64, seeds: UInt64) -> Row {
        var row = Row(name: "strong (Raft)", promise: "linearizable: every read sees the latest acknowledged write")
        var linearizable = true
        for seed in firstSeed..<(firstSeed + seeds) {
            var settings = RaftScenario.settings(seed: seed, bug: nil, clientsStopAt: clientsStop)
            settings.servers = members
            settings.clients = clients
            let monitor = RaftSafetyMonitor()
            var simulator = Simulator<RaftKVLabNode>(
                seed: seed, nodeIDs: settings.servers + settings.clients, recordsTrace: false,
                describeMessage: { $0.description },
                makeNode: { id, durable, context in
                    if settings.servers.contains(id) {
                        return .server(RaftKVServer(id: id, durable: durable, settings: settings, monitor: monitor, context: &context))
                    }
                    return .client(RaftKVClient(id: id, settings: settings, context: &context))
                })
            simulator.schedule(.partition([minority + clients.prefix(2), [3, 4, 5] + clients.suffix(2)]), at: partitionStart)
            simulator.schedule(.heal, at: partitionEnd)
            simulator.run(until: clientsStop + .seconds(3))
            for client in clients {
                guard let history = simulator.node(client)?.client?.history else { continue }
                var invoked: [Int: SimulationInstant] = [:]
                for event in history.events {
                    switch event.kind {
                    case .invoke: invoked[event.operationIndex] = event.time
                    case .ok, .fail:
                        // A compare-and-swap that did not swap was answered too.
                        let start = invoked.removeValue(forKey: event.operationIndex)!
                        row.count(invoked: start, completed: event.time, succeeded: true, client: client)
                    case .info: break
                    }
                }
                for start in invoked.values.sorted(by: { $0.nanoseconds < $1.nanoseconds }) {
                    row.count(invoked: start, completed: nil, succeeded: false, client: client)
                }
                row.reads += history.events.filter { if case .get = $0.operation, $0.kind == .ok { true } else { false } }.count
            }
            let events = RaftLabProgress.collectHistory(simulator, settings)
            if let checked = try? History(events), case .linearizable = checkLinearizability(checked, model: .kv, budget: RaftScenario.checkBudget) {
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
            "n3, n4 and n5 (each request to a random member on its side; the Raft clients look for the leader on their side);",
            "partition {n1,n2} | {n3,n4,n5} from 1 s to 2 s; seeds \(firstSeed)...\(firstSeed + seedCount - 1); virtual time.",
            "Available: share of operations answered successfully within \(answerDeadline.nanoseconds / 1_000_000_000) s.",
            "",
            "| level | promise | p50 ms | p99 ms | available, healthy | in partition, minority side | in partition, majority side | stale reads |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            let stale = row.linearizable.map { $0 ? "0 (linearizable)" : "not linearizable" }
                ?? "\(share(row.staleReads, row.reads)) of \(row.reads)"
            lines.append("| \(row.name) | \(row.promise) | \(percentile(row.latencies, 0.5)) | \(percentile(row.latencies, 0.99)) | "
                + "\(share(row.healthyAnswered, row.healthyInvoked)) | \(share(row.minorityAnswered, row.minorityInvoked)) | "
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
