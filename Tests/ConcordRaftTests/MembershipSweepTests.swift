import ConcordFoundation
import Testing

@testable import ConcordRaft

/// A randomized sweep of membership changes (voters and learners added,
/// removed, promoted and demoted; joint configurations entered and left)
/// under message loss, reordering, partitions and crashes, checking Raft's
/// safety properties after every step, then liveness on a healed cluster.
///
/// Safety: no two replicas apply different entries at one index, a
/// snapshot never contradicts an applied entry, and no term has two
/// leaders (Raft Figure 3). Liveness: once every link is healed and every
/// replica runs, a leader commits a new entry on every member.
@Suite struct MembershipSweepTests {
    /// The replicas that may ever be members: 1–3 found the group, 4–6 start
    /// empty and join when added.
    static let founders: [MemberID] = [1, 2, 3]
    static let joiners: [MemberID] = [4, 5, 6]
    static let everyone = founders + joiners

    /// Steps of faults and changes per seed (the safety phase).
    static let safetySteps = 400
    /// Rounds the healed cluster gets to elect a leader and commit.
    static let livenessRounds = 300

    struct Violation: Error, CustomStringConvertible {
        var description: String
        /// True for a safety violation, false for a lack of progress.
        var safety = true
    }

    struct Checker {
        var appliedAt: [UInt64: LogEntry] = [:]
        var leaderOfTerm: [UInt64: MemberID] = [:]
        var checkedApplied: [MemberID: Int] = [:]
        var checkedSnapshots: [MemberID: Int] = [:]

        mutating func check(_ cluster: TestCluster) throws {
            for (id, node) in cluster.nodes.sorted(by: { $0.key < $1.key }) {
                if node.role == .leader {
                    if let other = leaderOfTerm[node.term], other != id {
                        throw Violation(description: "two leaders in term \(node.term): \(other) and \(id)")
                    }
                    leaderOfTerm[node.term] = id
                }
            }
            for id in MembershipSweepTests.everyone {
                let applied = cluster.applied[id] ?? []
                // `applied` restarts from empty after a restart or a snapshot.
                let start = (checkedApplied[id] ?? 0) <= applied.count ? (checkedApplied[id] ?? 0) : 0
                for entry in applied[start...] {
                    if let earlier = appliedAt[entry.index], earlier != entry {
                        throw Violation(description: "replica \(id) applied \(entry) at \(entry.index) where \(earlier) was applied")
                    }
                    appliedAt[entry.index] = entry
                }
                checkedApplied[id] = applied.count
                let snapshots = cluster.installedSnapshots[id] ?? []
                for snapshot in snapshots.dropFirst(checkedSnapshots[id] ?? 0) {
                    let index = snapshot.metadata.index
                    if let entry = appliedAt[index], entry.term != snapshot.metadata.term {
                        throw Violation(description: "replica \(id) installed a snapshot at \(index) term \(snapshot.metadata.term) over an applied entry of term \(entry.term)")
                    }
                }
                checkedSnapshots[id] = snapshots.count
            }
        }
    }

    /// A random membership change; some are refused by Raft, as they should be.
    static func randomChange(_ random: inout SplitMix64) -> ConfigurationChange {
        func replica() -> MemberID { everyone.randomElement(using: &random)! }
        func action() -> ConfigurationChange.Action {
            [.addVoter, .addVoter, .addLearner, .remove].randomElement(using: &random)!
        }
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<6: return ConfigurationChange([.init(action(), replica())])
        case 6..<8: return ConfigurationChange([.init(action(), replica()), .init(action(), replica())])
        case 8: return ConfigurationChange([.init(action(), replica())], transition: .explicit)
        default: return .leaveJoint
        }
    }

    /// Runs one seed; throws the first violation.
    /// - Returns: how many configuration changes replica 1..6 applied in all.
    @discardableResult
    static func run(seed: UInt64, bug: RaftBug? = nil, liveness: Bool = true) throws -> Int {
        var random = SplitMix64(seed: seed)
        var cluster = TestCluster(voters: founders, extra: joiners) { configuration in
            if let bug { configuration.testingBugs.insert(bug) }
        }
        var checker = Checker()
        var crashed: Set<MemberID> = []
        var proposal: UInt32 = 0
        for _ in 0..<safetySteps {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:
                cluster.tickAll()
            case 30..<55:
                // Deliver some messages, dropping or reordering a few.
                if !cluster.inFlight.isEmpty && Int.random(in: 0..<4, using: &random) == 0 {
                    cluster.inFlight.remove(at: Int.random(in: 0..<cluster.inFlight.count, using: &random))
                }
                if cluster.inFlight.count > 1 && Int.random(in: 0..<4, using: &random) == 0 {
                    cluster.inFlight.swapAt(0, Int.random(in: 1..<cluster.inFlight.count, using: &random))
                }
                cluster.deliver(limit: Int.random(in: 1...40, using: &random))
            case 55..<70:
                proposal += 1
                let id = everyone.randomElement(using: &random)!
                if cluster.nodes[id] != nil {
                    try? cluster.propose(id, withUnsafeBytes(of: proposal.littleEndian) { Array($0) })
                }
            case 70..<80:
                if let leader = cluster.leaders.last {
                    if let output = try? cluster.nodes[leader]!.proposeConfigurationChange(randomChange(&random)) {
                        cluster.handle(leader, output)
                    }
                }
            case 80..<86:
                cluster.isolate(everyone.randomElement(using: &random)!)
            case 86..<92:
                cluster.heal()
            case 92..<96:
                let id = everyone.randomElement(using: &random)!
                if !crashed.contains(id) && crashed.count < 2 {
                    cluster.crash(id)
                    crashed.insert(id)
                }
            default:
                if let id = crashed.sorted().randomElement(using: &random) {
                    cluster.restart(id)
                    crashed.remove(id)
                }
            }
            try checker.check(cluster)
        }

        let changesApplied = cluster.applied.values.reduce(0) { $0 + $1.filter { $0.kind == .configurationChange }.count }
        guard liveness else { return changesApplied }

        // Liveness: heal everything and wait for a leader that commits a new
        // entry on every member of the configuration in force.
        cluster.heal()
        for id in crashed.sorted() { cluster.restart(id) }
        var marker: [UInt8]?
        for _ in 0..<livenessRounds {
            cluster.run(rounds: 1)
            try checker.check(cluster)
            guard let leader = cluster.leaders.last, let node = cluster.nodes[leader] else { continue }
            if node.membership.isJoint && !node.membership.autoLeave {
                if let output = try? cluster.nodes[leader]!.proposeConfigurationChange(.leaveJoint) { cluster.handle(leader, output) }
                continue
            }
            if marker == nil {
                let bytes: [UInt8] = [0xFF, 0xEE]
                if (try? cluster.propose(leader, bytes)) != nil { marker = bytes }
                continue
            }
            let members = node.membership.allReplicas
            if let marker, members.allSatisfy({ cluster.appliedData($0).contains(marker) }) { return changesApplied }
        }
        let states = everyone.map { id in
            let node = cluster.nodes[id]!
            return "\(id): \(node.role) term \(node.term) commit \(node.commitIndex) membership \(node.membership)"
        }
        throw Violation(
            description: "no progress after healing (marker proposed: \(marker != nil))\n" + states.joined(separator: "\n"), safety: false)
    }

    @Test(arguments: 0..<4)
    func membershipChangesUnderFaultsKeepRaftSafeAndLive(chunk: Int) throws {
        var changesApplied = 0
        for seed in UInt64(chunk * 50)..<UInt64(chunk * 50 + 50) {
            do {
                changesApplied += try Self.run(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
        // The sweep is about membership: most seeds must change it.
        #expect(changesApplied >= 50, "only \(changesApplied) configuration changes applied in 50 seeds")
    }

    /// The sweep is trusted because it catches known bugs: each within the
    /// stated number of seeds (safety phase only).
    @Test(arguments: [(RaftBug.voteWithoutLogCheck, 40), (.applyBeforeCommit, 40)])
    func theSweepCatchesABrokenRaft(bug: RaftBug, seedsMax: Int) {
        for seed in 0..<UInt64(seedsMax) {
            do {
                try Self.run(seed: seed, bug: bug, liveness: false)
            } catch let violation as Violation where violation.safety {
                return
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
        Issue.record("\(bug) went unnoticed in \(seedsMax) seeds")
    }
}
