import ConcordDynamo
import Testing

/// Ring changes mid-traffic (Dynamo §4.9): a member joins, then a founding
/// member leaves without handing anything over, while clients write at
/// QUORUM. Every acknowledged write must stay readable at QUORUM at every
/// step: right after each change (before any handoff has run), while the
/// handoff batches move, and after it.
@Suite struct RingChangeTests {
    /// What the clients had acknowledged, and what reading it back found wrong.
    struct Ledger {
        var values: [ByteString: ByteString] = [:]
        var increments: [ByteString: Int64] = [:]
        var members: Set<ByteString> = []
        var problems: [String] = []
        var reads = 0
    }

    static let counters: [ByteString] = ["c0", "c1", "c2"]

    /// One round of client traffic through `coordinators`: a distinct key,
    /// an increment and a set member per step, each recorded when acknowledged.
    static func write(
        _ cluster: inout TestCluster, _ ledger: inout Ledger, steps: Range<Int>, coordinators: [MemberID]
    ) {
        for step in steps {
            let at = coordinators[step % coordinators.count]
            let key = ByteString("k\(step)")
            let value = ByteString("v\(step)")
            if case .written = cluster.result(key, .put(value), at: at) { ledger.values[key] = value }
            let counter = counters[step % counters.count]
            if case .written = cluster.result(counter, .update(.increment(Int64(step + 1))), at: at) {
                ledger.increments[counter, default: 0] += Int64(step + 1)
            }
            let member = ByteString("m\(step)")
            if case .written = cluster.result("set", .update(.addToSet([member])), at: at) { ledger.members.insert(member) }
        }
    }

    /// Reads everything acknowledged at QUORUM, each read coordinated by
    /// the next of `coordinators`, and records what is missing.
    static func check(_ cluster: inout TestCluster, _ ledger: inout Ledger, coordinators: [MemberID], phase: String) {
        var turn = 0
        func next() -> MemberID {
            defer { turn += 1 }
            return coordinators[turn % coordinators.count]
        }
        for key in ledger.values.keys.sorted() {
            let outcome = cluster.result(key, .get, at: next())
            ledger.reads += 1
            if outcome?.readValue?.values.contains(ledger.values[key]!) != true {
                ledger.problems.append("\(phase): \(key) read \(String(describing: outcome))")
            }
        }
        for counter in counters {
            let outcome = cluster.result(counter, .get, at: next())
            ledger.reads += 1
            if outcome?.readValue != .counter(ledger.increments[counter] ?? 0) {
                ledger.problems.append("\(phase): \(counter) read \(String(describing: outcome)), acknowledged \(ledger.increments[counter] ?? 0)")
            }
        }
        let outcome = cluster.result("set", .get, at: next())
        ledger.reads += 1
        guard case .set(let elements)? = outcome?.readValue else {
            ledger.problems.append("\(phase): set read \(String(describing: outcome))")
            return
        }
        let missing = ledger.members.subtracting(elements)
        if !missing.isEmpty { ledger.problems.append("\(phase): set lacks \(missing.sorted())") }
    }

    /// The scenario: three members; member 2 misses the first writes (down,
    /// so each is acknowledged by the other two only) and comes back without
    /// repair; member 4 joins; more writes; the handoff runs part way;
    /// member 1 leaves and stops at once (it hands nothing over); more
    /// writes; the transition ends. Returns the ledger with its problems.
    static func run(bug: DynamoBug?, transitionTicks: Int = 60) -> (Ledger, TestCluster) {
        var settings = TestCluster.defaultSettings
        settings.antiEntropyIntervalTicks = 1_000_000  // only handoff moves data here
        settings.ringTransitionTicks = transitionTicks
        if let bug { settings.testingBugs = [bug] }
        var cluster = TestCluster(members: [1, 2, 3], settings: settings)
        var ledger = Ledger()

        cluster.down.insert(2)
        write(&cluster, &ledger, steps: 0..<40, coordinators: [1, 3])
        // Member 2 comes back stale; no read touches the keys before the
        // join (read repair would bring it up to date).
        cluster.down.remove(2)

        cluster.changeRing([1, 2, 3, 4])
        check(&cluster, &ledger, coordinators: [4, 2, 3, 1], phase: "right after the join")
        write(&cluster, &ledger, steps: 40..<60, coordinators: [4, 1, 2, 3])
        cluster.tick(5)  // one handoff round: batches of 32 keys, not all of them
        check(&cluster, &ledger, coordinators: [2, 4, 1, 3], phase: "during the join's handoff")

        cluster.changeRing([2, 3, 4])
        cluster.down.insert(1)  // removed and stopped before its first handoff round
        check(&cluster, &ledger, coordinators: [4, 3, 2], phase: "right after the removal")
        write(&cluster, &ledger, steps: 60..<80, coordinators: [2, 3, 4])
        cluster.tick(10)
        check(&cluster, &ledger, coordinators: [3, 4, 2], phase: "during the removal's handoff")
        cluster.tick(80)  // past the transition
        check(&cluster, &ledger, coordinators: [2, 3, 4], phase: "after the transition")
        return (ledger, cluster)
    }

    @Test func acknowledgedQuorumWritesSurviveAJoinAndARemovalMidTraffic() {
        let (ledger, cluster) = Self.run(bug: nil)
        #expect(ledger.problems.isEmpty, "\(ledger.problems.prefix(10))")
        #expect(ledger.values.count == 80 && ledger.members.count == 80, "every write was acknowledged")
        #expect(ledger.increments.values.reduce(0, +) == (1...80).reduce(0, +))
        // The handoff completed: every current replica of every key holds
        // it as its own copy, and no hint is left.
        for key in ledger.values.keys.sorted() + Self.counters + ["set"] {
            for replica in cluster.ring.replicas(of: key, count: 3) {
                #expect(cluster.nodes[replica]!.objects[key] != nil, "\(key) at \(replica)")
            }
        }
        for member in [MemberID](arrayLiteral: 2, 3, 4) {
            #expect(cluster.nodes[member]!.hints.isEmpty, "hints left at \(member)")
            #expect(cluster.nodes[member]!.previousRing == nil, "the transition ended at \(member)")
        }
    }

    /// The same scenario with the ring change moving no data: the reads
    /// above must notice.
    @Test func theScenarioCatchesARingChangeWithoutHandoff() {
        let (ledger, _) = Self.run(bug: .ringChangeSkipsHandoff)
        #expect(!ledger.problems.isEmpty)
        #expect(ledger.problems.contains { $0.hasPrefix("right after the join") })
    }

    /// With the handoff but without the transition's reads of the previous
    /// replicas, reads right after the join miss writes whose copies have
    /// not moved yet: the transition is what keeps them visible.
    @Test func withoutTheTransitionReadsRightAfterAChangeMissWrites() {
        let (ledger, _) = Self.run(bug: nil, transitionTicks: 0)
        #expect(ledger.problems.contains { $0.hasPrefix("right after the join") }, "\(ledger.problems.prefix(3))")
        #expect(!ledger.problems.contains { $0.hasPrefix("after the transition") }, "the handoff still completes")
    }

    /// A handoff message carries at most `handoffBytesPerMessageMax` bytes
    /// of copies (one copy when a single one is larger), and the handoff
    /// still completes, batch by batch.
    @Test func handoffBatchesStayWithinTheirByteLimit() {
        var settings = TestCluster.defaultSettings
        settings.handoffBytesPerMessageMax = 600
        var cluster = TestCluster(members: [1, 2, 3], settings: settings)
        let keys = (0..<30).map { ByteString("big\($0)") }
        let value = ByteString([UInt8](repeating: 7, count: 250))
        for key in keys { cluster.request(key, .put(value), at: 1, consistency: .all) }
        cluster.changeRing([1, 2, 3, 4])
        cluster.tick(80)
        let batches = cluster.delivered.compactMap { message -> Int? in
            if case .handoff(_, let copies) = message { return copies.count }
            return nil
        }
        #expect(!batches.isEmpty && batches.allSatisfy { $0 <= 2 }, "\(batches)")
        for key in keys where cluster.replicas(key).contains(4) {
            #expect(cluster.nodes[4]!.objects[key]?.readValue == .siblings([value], includesDeletion: false), "\(key)")
        }
        for member in [MemberID](arrayLiteral: 1, 2, 3, 4) { #expect(cluster.nodes[member]!.hints.isEmpty) }
    }

    /// Every member builds the same ring from the same membership, in any
    /// order, and a change to the same ring is no change.
    @Test func theSameMembershipGivesTheSameRingAndAnEqualRingChangesNothing() throws {
        let first = try Ring(members: [4, 1, 3, 2], virtualNodesPerMember: 8)
        let second = try Ring(members: [1, 2, 3, 4], virtualNodesPerMember: 8)
        #expect(first == second)
        var cluster = TestCluster(members: [1, 2, 3])
        var node = cluster.nodes[1]!
        let output = node.onRingChange(cluster.ring, now: cluster.now)
        #expect(output.records.isEmpty && output.messages.isEmpty)
        #expect(node.previousRing == nil)
        cluster.nodes[1] = node
    }
}
