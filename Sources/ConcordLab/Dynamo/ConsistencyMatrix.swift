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
        /// What a checker proved of the row's histories, if one ran.
        var verdict: String?
        /// Why ``SequentialWitness`` refused, for the sequential row.
        var witnessFailures: [String] = []

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
        var rows = [raftRow(firstSeed: firstSeed, seeds: seeds), raftRow(firstSeed: firstSeed, seeds: seeds, sequential: true)]
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
        let (reads, stale) = staleReads(timedOperations(records))
        row.reads += reads
        row.staleReads += stale
    }

    /// An operation, as the stale-read count sees it.
    struct TimedOperation {
        var key: String
        var invoked: SimulationInstant
        /// When it was answered; nil if never.
        var completed: SimulationInstant?
        /// A write that succeeded.
        var acknowledged = false
        /// A write's value (an inner nil: a delete), whatever its outcome;
        /// nil for a read.
        var written: String??
        /// A successful read's values (nil in the list: no such key).
        var read: [String?]?
    }

    /// Reads that missed the last write of their key acknowledged before
    /// they began: they returned neither its value nor that of a write not
    /// known to have finished before it began (one acknowledged after it
    /// began, or never acknowledged, may come after it in any order).
    static func staleReads(_ operations: [TimedOperation]) -> (reads: Int, stale: Int) {
        var reads = 0
        var stale = 0
        let writes = operations.indices.filter { operations[$0].written != nil }
        for read in operations {
            guard let values = read.read else { continue }
            reads += 1
            let before = writes.filter {
                operations[$0].key == read.key && operations[$0].acknowledged && operations[$0].completed! < read.invoked
            }
            guard let last = before.max(by: { operations[$0].completed! < operations[$1].completed! }) else { continue }
            if values.contains(operations[last].written!) { continue }
            let lastBegan = operations[last].invoked
            let newer = writes.contains { index in
                let write = operations[index]
                guard index != last, write.key == read.key, values.contains(write.written!) else { return false }
                return !(write.acknowledged && write.completed! < lastBegan)
            }
            if !newer { stale += 1 }
        }
        return (reads, stale)
    }

    static func timedOperations(_ records: [DynamoLabRecord]) -> [TimedOperation] {
        records.compactMap { record in
            var operation = TimedOperation(key: record.operation.key, invoked: record.invoked, completed: record.completed)
            switch (record.operation.action, record.result) {
            case (.put(let value), _):
                operation.written = .some(value)
                operation.acknowledged = record.outcome == .ok && record.completed != nil
            case (.get, .values(let values, _)?) where record.outcome == .ok:
                operation.read = values.map { Optional($0) }
            default: return nil
            }
            return operation
        }
    }

    /// The Raft rows: the `raft` scenario's server cores (Raft under the
    /// real server core, real storage on the simulated disk) on the same
    /// five members, the same four clients on the same sides of the same
    /// partition. Only gets, puts and deletes count in the latency and
    /// availability columns: a compare-and-swap's answer "not swapped" and
    /// a refusal look alike in the history, and the leaderless rows have
    /// none (a compare-and-swap that swapped, or may have, still counts as
    /// a write for the stale reads).
    ///
    /// - strong: each request to a random member of the client's side
    ///   (members forward to the leader), gets linearizable (ReadIndex);
    ///   the history is checked for linearizability.
    /// - sequential: each client stays with one member of its side and its
    ///   gets are serializable, served from that member's applied state
    ///   (ZooKeeper's model: a client sees one server's view of the log, in
    ///   order, including its own writes); checked by ``SequentialWitness``.
    static func raftRow(firstSeed: UInt64, seeds: UInt64, sequential: Bool = false, stickyClients: Bool? = nil) -> Row {
        var row = sequential
            ? Row(name: "sequential (Raft, reads from the client's member)", promise: "one order of all writes, each client sees it in its own order; reads may lag")
            : Row(name: "strong (Raft)", promise: "linearizable: every read sees the latest acknowledged write")
        var verified = true
        var failures: [String] = []
        let finalReader = 105
        for seed in firstSeed..<(firstSeed + seeds) {
            var settings = ServerLabSettings.derive(seed: seed, bugs: [], raftBug: nil, clientsStopAt: clientsStop)
            settings.focusOnRaft(seed: seed)
            settings.founders = members
            settings.clients = clients
            settings.finalReader = finalReader
            settings.keys = ["k0", "k1", "k2", "k3"]
            settings.thinkTimeMax = .milliseconds(10)
            if sequential {
                settings.readsServedLocally = true
                settings.compactionOneIn = 0
            }
            for (index, client) in clients.enumerated() {
                // The sticky member: n1 and n2 for the minority side's
                // clients, n3 and n4 for the majority side's.
                let sticky = stickyClients ?? sequential
                settings.clientServers[client] = sticky ? [homes[index][index % 2]] : homes[index]
            }
            let monitor = ServerLabMonitor()
            var simulator = ServerScenario.makeSimulator(
                seed: seed, settings: settings, monitor: monitor, recordsTrace: false, finalReadAt: clientsStop + .seconds(1))
            simulator.schedule(.partition([minority + clients.prefix(2), [3, 4, 5] + clients.suffix(2) + [finalReader]]), at: partitionStart)
            simulator.schedule(.heal, at: partitionEnd)
            simulator.run(until: clientsStop + .seconds(3))
            var operations: [TimedOperation] = []
            var observations: [(client: Int, observations: [SequentialWitness.Observation])] = []
            for client in clients {
                guard case .client(let node) = simulator.node(client) else { continue }
                observations.append((client, node.observations))
                var invoked: [Int: (time: SimulationInstant, counted: Bool)] = [:]
                for event in node.history.events {
                    switch event.kind {
                    case .invoke: invoked[event.operationIndex] = (event.time, event.operation.function != .cas)
                    case .ok, .fail, .info:
                        let start = invoked.removeValue(forKey: event.operationIndex)!
                        if start.counted {
                            row.count(invoked: start.time, completed: event.time, succeeded: event.kind == .ok, client: client)
                        }
                        var operation = TimedOperation(
                            key: event.operation.key, invoked: start.time, completed: event.kind == .info ? nil : event.time,
                            acknowledged: event.kind == .ok)
                        switch event.operation.function {
                        case .get where event.kind == .ok: operation.read = [event.result ?? nil]
                        case .put where event.kind != .fail, .cas where event.kind != .fail: operation.written = .some(event.operation.value)
                        case .delete where event.kind != .fail: operation.written = .some(nil)
                        default: continue
                        }
                        operations.append(operation)
                    }
                }
                for (index, start) in invoked.sorted(by: { $0.value.time.nanoseconds < $1.value.time.nanoseconds }) {
                    if start.counted { row.count(invoked: start.time, completed: nil, succeeded: false, client: client) }
                    // A write still waiting may have happened.
                    let operation = node.history.operation(index)
                    guard operation.function != .get else { continue }
                    operations.append(
                        TimedOperation(
                            key: operation.key, invoked: start.time, written: .some(operation.function == .delete ? nil : operation.value)))
                }
            }
            let (reads, stale) = staleReads(operations)
            row.reads += reads
            row.staleReads += stale
            if !monitor.violations.isEmpty { verified = false }
            if sequential {
                let stores = settings.servers.compactMap { simulator.node($0)?.server?.core?.stateMachine.store }
                guard let store = stores.max(by: { $0.currentRevision < $1.currentRevision }) else {
                    verified = false
                    continue
                }
                let found = SequentialWitness(store: store).check(observations)
                failures += found.map { "seed \(seed): \($0)" }
                if !found.isEmpty { verified = false }
                continue
            }
            let events = ServerScenario.collectHistory(simulator, settings)
            if let checked = try? History(events), case .linearizable = checkLinearizability(checked, model: .kv, budget: ServerScenario.checkBudget) {
                continue
            }
            verified = false
        }
        row.verdict = sequential
            ? (verified ? "sequentially consistent" : "not shown sequentially consistent")
            : (verified ? "linearizable" : "not linearizable")
        row.witnessFailures = failures
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
            "n3, n4 and n5 (each request to a random member on its side, except in the sequential row, where each client stays with",
            "one member: n1, n2, n3, n4; Raft members forward to the leader);",
            "partition {n1,n2} | {n3,n4,n5} from 1 s to 2 s; seeds \(firstSeed)...\(firstSeed + seedCount - 1); virtual time.",
            "Available: share of operations answered successfully within \(answerDeadline.nanoseconds / 1_000_000_000) s; in parentheses, begun in the partition and answered before the heal.",
            "",
            "| level | promise | p50 ms | p99 ms | available, healthy | in partition, minority side (before the heal) | in partition, majority side | stale reads |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            let stale = "\(share(row.staleReads, row.reads)) of \(row.reads)" + (row.verdict.map { " (\($0))" } ?? "")
            lines.append("| \(row.name) | \(row.promise) | \(percentile(row.latencies, 0.5)) | \(percentile(row.latencies, 0.99)) | "
                + "\(share(row.healthyAnswered, row.healthyInvoked)) | "
                + "\(share(row.minorityAnswered, row.minorityInvoked)) (\(share(row.minorityAnsweredCutOff, row.minorityInvoked))) | "
                + "\(share(row.majorityAnswered, row.majorityInvoked)) | \(stale) |")
        }
        for row in rows where !row.witnessFailures.isEmpty {
            lines.append("")
            lines.append("\(row.name): \(row.witnessFailures.count) operations out of the store's order, first:")
            lines += row.witnessFailures.prefix(5).map { "  \($0)" }
        }
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
