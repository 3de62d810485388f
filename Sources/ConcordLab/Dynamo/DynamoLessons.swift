import ConcordClocks
import ConcordDynamo
import ConcordSimulation

/// The classic lessons of leaderless stores, each a short scripted run with
/// a timeline: `concord sim dynamo-lww-skew` and its siblings. A lesson
/// "passes" when the run shows what it is meant to show (a lost update, a
/// stale read...), so that a test notices if the store stops behaving as
/// the lesson says.
public enum DynamoLessons {
    /// Last writer wins under clock skew: the write made later in real time
    /// carries the smaller timestamp, and is silently dropped.
    public static let lastWriterWinsUnderSkew = Scenario(
        name: "dynamo-lww-skew",
        summary: "lesson: last-writer-wins drops the later of two concurrent writes when the clocks are skewed"
    ) { options in concurrentWrites(options, mode: .lastWriterWins) }

    /// The same workload in sibling mode: both writes survive, as siblings.
    public static let siblings = Scenario(
        name: "dynamo-siblings",
        summary: "lesson: the same two concurrent writes kept as siblings, then resolved with the read's causal context"
    ) { options in concurrentWrites(options, mode: .siblings) }

    /// The same workload on CRDTs: merged on the server, nothing lost.
    public static let crdtMerge = Scenario(
        name: "dynamo-crdt",
        summary: "lesson: the same concurrent updates as a set and a counter, merged on the server"
    ) { options in concurrentWrites(options, mode: nil) }

    /// R = W = 1: an acknowledged write, then a read that does not see it.
    public static let staleRead = Scenario(
        name: "dynamo-stale-read",
        summary: "lesson: at R = W = 1 a read misses an acknowledged write; at QUORUM the same read waits"
    ) { options in staleRead(options) }

    /// A sloppy quorum during a partition: R + W > N, and still a stale read.
    public static let sloppyQuorum = Scenario(
        name: "dynamo-sloppy-quorum",
        summary: "lesson: during a partition a sloppy W=2 write and an R=2 read of N=3 replicas miss each other; hinted handoff repairs it"
    ) { options in sloppyQuorum(options) }

    /// The driver of a scripted lesson.
    struct Lesson {
        var run: DynamoLabRun
        var lines: [String] = []

        init(seed: UInt64, members: [NodeID], clients: Int, recordsEvents: Bool = false) {
            var dynamo = DynamoSettings()
            dynamo.replicationFactor = 3
            dynamo.antiEntropyIntervalTicks = 50
            let settings = DynamoLabSettings(
                members: members, clients: Array(DynamoLabSettings.firstClient..<(DynamoLabSettings.firstClient + clients)),
                dynamo: dynamo,
                workload: DynamoLabWorkload(registerKeys: [], counterKeys: [], setKeys: [], deletes: false),
                sessions: false, consistencies: [], clientsStopAt: .zero)
            run = DynamoLabRun(seed: seed, settings: settings, recordsTrace: true, scriptedClients: true, recordsEvents: recordsEvents)
        }

        /// At `time`, client `client` issues `action` on `key` through `member`.
        mutating func at(
            _ milliseconds: Int64, client: Int, _ key: String, _ action: DynamoLabAction, via member: NodeID,
            consistency: RequestConsistency, context writeContext: WriteContext? = nil, mode: VersioningMode = .siblings
        ) {
            let time = SimulationInstant.zero + .milliseconds(milliseconds)
            run.simulator.run(until: time)
            let clientID = run.settings.clients[client]
            run.simulator.withNode(clientID) { node, context in
                node.withClient {
                    $0.issue(key: key, action: action, consistency: consistency, to: member, writeContext: writeContext, mode: mode, context: &context)
                }
            }
        }

        /// Runs until every client has its answer.
        mutating func settle(upTo milliseconds: Int64 = 2_000) {
            let deadline = run.simulator.now + .milliseconds(milliseconds)
            run.simulator.run(until: deadline) { simulator in
                !simulator.nodeIDs.allSatisfy { simulator.node($0)?.client?.isIdle ?? true }
            }
        }

        /// The last record of client `client`.
        func last(_ client: Int) -> DynamoLabRecord? {
            run.simulator.node(run.settings.clients[client])?.client?.records.last
        }

        func lastContext(_ client: Int, _ key: String) -> VersionVector? {
            run.simulator.node(run.settings.clients[client])?.client?.lastRead[key]?.context
        }

        var timeline: [String] {
            lines + run.simulator.trace.filter(DynamoLabRun.isTimelineLine)
        }

        func result(_ passed: Bool, _ verdict: String) -> ScenarioResult {
            ScenarioResult(
                passed: passed, verdict: verdict, timeline: timeline, traceHash: run.simulator.traceHash,
                recording: run.simulator.recording)
        }
    }

    /// Two clients write one key 50 ms apart through different members;
    /// the second member's clock runs 100 ms behind. Nobody read before
    /// writing: the writes are concurrent. `mode` nil: a set and a counter.
    static func concurrentWrites(_ options: ScenarioOptions, mode: VersioningMode?) -> ScenarioResult {
        var lesson = Lesson(seed: options.seed, members: [1, 2, 3], clients: 2, recordsEvents: options.recordEvents)
        lesson.lines.append("n2's clock runs 100 ms behind; c0 writes through n1 at 10 ms, c1 through n2 at 60 ms; nobody read first")
        lesson.run.simulator.setClock(2, skew: .milliseconds(-100), driftPerMillion: 0)
        let all = RequestConsistency.all
        switch mode {
        case .lastWriterWins?, .siblings?:
            let versioning = mode!
            lesson.at(10, client: 0, "cart", .put("from-c0"), via: 1, consistency: all, mode: versioning)
            lesson.at(60, client: 1, "cart", .put("from-c1"), via: 2, consistency: all, mode: versioning)
            lesson.settle()
            let acknowledged = lesson.last(1)?.outcome == .ok && lesson.last(0)?.outcome == .ok
            lesson.at(300, client: 0, "cart", .get, via: 3, consistency: all)
            lesson.settle()
            guard case .values(let values, _)? = lesson.last(0)?.result else {
                return lesson.result(false, "the read failed: \(String(describing: lesson.last(0)?.outcome))")
            }
            if versioning == .lastWriterWins {
                let lost = acknowledged && values == ["from-c0"]
                return lesson.result(lost, lost
                    ? "both writes were acknowledged; the read returns only from-c0: c1's later write lost to c0's larger timestamp (n2's clock is behind)"
                    : "expected only from-c0, read \(values)")
            }
            guard acknowledged, Set(values) == ["from-c0", "from-c1"], let context = lesson.lastContext(0, "cart") else {
                return lesson.result(false, "expected both writes as siblings, read \(values)")
            }
            lesson.at(400, client: 0, "cart", .put("from-c0+from-c1"), via: 3, consistency: all, context: .provided(context))
            lesson.at(500, client: 1, "cart", .get, via: 1, consistency: all)
            lesson.settle()
            guard case .values(let resolved, _)? = lesson.last(1)?.result, resolved == ["from-c0+from-c1"] else {
                return lesson.result(false, "the resolution did not replace both siblings")
            }
            return lesson.result(true, "the read returns both writes as siblings; a write with the read's context replaces both")
        case nil:
            lesson.at(10, client: 0, "tags", .add("from-c0"), via: 1, consistency: all)
            lesson.at(10, client: 1, "visits", .increment(1), via: 2, consistency: all)
            lesson.at(60, client: 1, "tags", .add("from-c1"), via: 2, consistency: all)
            lesson.at(60, client: 0, "visits", .increment(1), via: 1, consistency: all)
            lesson.settle()
            lesson.at(300, client: 0, "tags", .get, via: 3, consistency: all)
            lesson.at(300, client: 1, "visits", .get, via: 3, consistency: all)
            lesson.settle()
            guard case .set(let elements)? = lesson.last(0)?.result, case .counter(let visits)? = lesson.last(1)?.result else {
                return lesson.result(false, "a read failed")
            }
            let merged = Set(elements) == ["from-c0", "from-c1"] && visits == 2
            return lesson.result(merged, merged
                ? "the set holds both additions and the counter both increments: merged on the server, whatever the clocks"
                : "expected both, read \(elements) and \(visits)")
        }
    }

    /// `old` is everywhere; n3 is cut off; c0 writes `new` at W = 1 through
    /// n1; c1 reads at R = 1 through n3 and gets `old`. At QUORUM, the same
    /// read through n3 cannot gather two answers and fails.
    static func staleRead(_ options: ScenarioOptions) -> ScenarioResult {
        var lesson = Lesson(seed: options.seed, members: [1, 2, 3], clients: 2, recordsEvents: options.recordEvents)
        let one = RequestConsistency(read: .one, write: .one, sloppy: false)
        let quorum = RequestConsistency(read: .quorum, write: .quorum, sloppy: false)
        lesson.at(0, client: 0, "x", .put("old"), via: 1, consistency: .all)
        lesson.settle()
        lesson.lines.append("x=old is on every replica; at 100 ms n3 is cut off from n1 and n2 (clients reach everyone)")
        lesson.run.simulator.run(until: .zero + .milliseconds(100))
        lesson.run.simulator.partition([[1, 2], [3]])
        lesson.at(110, client: 0, "x", .put("new"), via: 1, consistency: one, context: .current)
        lesson.settle()
        let acknowledged = lesson.last(0)?.outcome == .ok
        lesson.at(200, client: 1, "x", .get, via: 3, consistency: one)
        lesson.settle()
        guard case .values(let stale, _)? = lesson.last(1)?.result else {
            return lesson.result(false, "the R=1 read failed")
        }
        lesson.at(300, client: 1, "x", .get, via: 3, consistency: quorum)
        lesson.settle()
        let quorumFailed = lesson.last(1)?.outcome == .fail
        lesson.run.simulator.heal()
        lesson.at(1_000, client: 1, "x", .get, via: 3, consistency: quorum)
        lesson.settle()
        guard case .values(let healed, _)? = lesson.last(1)?.result else {
            return lesson.result(false, "the read after healing failed")
        }
        let shown = acknowledged && stale == ["old"] && quorumFailed && healed == ["new"]
        return lesson.result(shown, shown
            ? "x=new was acknowledged at W=1, then an R=1 read through n3 returned old (R+W=2 ≤ N=3); at QUORUM the read was refused rather than stale; after healing it returns new"
            : "expected old, a refused quorum read, then new; read \(stale), quorum failed: \(quorumFailed), healed \(healed)")
    }

    /// Five members; the key's replicas are a, b, c and its fallbacks d, e.
    /// The partition {a, d, e} | {b, c}: a sloppy W=2 write through a is
    /// acknowledged by a and the fallback d (holding a hint for b); an R=2
    /// read through b asks b and c and returns the old value.
    static func sloppyQuorum(_ options: ScenarioOptions) -> ScenarioResult {
        let members = [1, 2, 3, 4, 5]
        var lesson = Lesson(seed: options.seed, members: members, clients: 2, recordsEvents: options.recordEvents)
        let ring = lesson.run.ring.ring
        let key = "x"
        let order = ring.preferenceList(for: ByteString(key)).map(\.node)
        let (a, b, c) = (order[0], order[1], order[2])
        let sideA = [a, order[3], order[4]]
        let sloppy = RequestConsistency(read: .quorum, write: .quorum, sloppy: true)
        let strict = RequestConsistency(read: .quorum, write: .quorum, sloppy: false)
        lesson.at(0, client: 0, key, .put("old"), via: a, consistency: .all)
        lesson.settle()
        lesson.lines.append("x's replicas are n\(a), n\(b), n\(c) (N=3), then n\(order[3]), n\(order[4]); partition {\(sideA.map { "n\($0)" }.joined(separator: ","))} | {n\(b),n\(c)} at 100 ms")
        lesson.run.simulator.run(until: .zero + .milliseconds(100))
        lesson.run.simulator.partition([sideA, [b, c]])
        lesson.at(110, client: 0, key, .put("strict"), via: a, consistency: strict, context: .current)
        lesson.settle()
        let strictFailed = lesson.last(0)?.outcome == .info
        lesson.at(600, client: 0, key, .put("new"), via: a, consistency: sloppy, context: .current)
        lesson.settle()
        let sloppyAcknowledged = lesson.last(0)?.outcome == .ok
        lesson.at(1_000, client: 1, key, .get, via: b, consistency: sloppy)
        lesson.settle()
        guard case .values(let during, _)? = lesson.last(1)?.result else {
            return lesson.result(false, "the read during the partition failed")
        }
        lesson.run.simulator.run(until: .zero + .milliseconds(1_500))
        lesson.lines.append("healed at 1.5 s: the fallback hands its hint back to n\(b)")
        lesson.run.simulator.heal()
        lesson.at(2_500, client: 1, key, .get, via: b, consistency: strict)
        lesson.settle()
        guard case .values(let after, _)? = lesson.last(1)?.result else {
            return lesson.result(false, "the read after healing failed")
        }
        let shown = strictFailed && sloppyAcknowledged && !during.contains("new") && after.contains("new")
        return lesson.result(shown, shown
            ? "a strict W=2 write failed; the sloppy one was acknowledged by n\(a) and a fallback; an R=2 read through n\(b) returned \(during), missing it (R+W=4 > N=3 did not help); after healing it returns \(after)"
            : "strict failed: \(strictFailed), sloppy acknowledged: \(sloppyAcknowledged), during: \(during), after: \(after)")
    }
}
