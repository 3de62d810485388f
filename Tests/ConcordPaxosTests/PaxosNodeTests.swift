import ConcordFoundation
import Testing
@testable import ConcordPaxos

/// The leaderless log of single-decree instances (`PaxosNode`).
@Suite struct PaxosNodeTests {
    @Test func aProposedValueIsChosenAndLearnedByEveryReplica() {
        var cluster = PaxosTestCluster(count: 3)
        cluster.propose(1, [42])
        cluster.deliverAll()
        for id: ReplicaID in 1...3 {
            #expect(cluster.chosen[id] == [ChosenValue(slot: 1, value: [42])], "replica \(id)")
        }
    }

    @Test func concurrentProposersFillDistinctSlotsAndEveryReplicaLearnsTheSameLog() {
        var cluster = PaxosTestCluster(count: 5)
        var random = SeededRandom(seed: 17)
        for id: ReplicaID in 1...5 { cluster.propose(id, [UInt8(id)]) }
        for _ in 0..<20_000 where !cluster.inFlight.isEmpty || cluster.nodes.values.contains(where: { $0.pendingValueCount > 0 }) {
            if cluster.inFlight.isEmpty || random.chance(perMillion: 50_000) {
                for id: ReplicaID in 1...5 { cluster.tick(id) }
            } else {
                cluster.deliver(at: random.index(below: cluster.inFlight.count))
            }
        }
        // Learn the prefix everywhere.
        for _ in 0..<40 {
            for id: ReplicaID in 1...5 { cluster.tick(id) }
            cluster.deliverAll()
        }
        let logs = (1...5).map { cluster.chosen[ReplicaID($0)]!.map(\.value) }
        #expect(logs.allSatisfy { $0 == logs[0] })
        #expect(Set(logs[0].filter { !$0.isEmpty }) == Set((1...5).map { [UInt8($0)] }))
    }

    /// "Paxos Made Simple" §2.4: two proposers that each retry at once can
    /// preempt each other forever; a random back-off lets one finish.
    @Test func duellingProposersLivelockWithoutBackOffAndFinishWithIt() {
        func duel(backoffTicksMax: Int) -> (chosen: Bool, attempts: Int, longestRun: Int) {
            var cluster = PaxosTestCluster(count: 3) { $0.backoffTicksMax = backoffTicksMax }
            cluster.propose(1, [1])
            cluster.propose(2, [2])
            // An adversarial network: prepares (and the promises they
            // cause) overtake accepts, and time passes only when nothing is
            // in flight.
            for _ in 0..<3_000 {
                if cluster.nodes[1]!.chosenValue(at: 1) != nil && cluster.nodes[2]!.chosenValue(at: 1) != nil { break }
                if let prepare = cluster.inFlight.firstIndex(where: { if case .prepare = $0.body { true } else { false } }) {
                    cluster.deliver(at: prepare)
                } else if let promise = cluster.inFlight.firstIndex(where: { if case .promise = $0.body { true } else { false } }) {
                    cluster.deliver(at: promise)
                } else if !cluster.inFlight.isEmpty {
                    cluster.deliver(at: 0)
                } else {
                    for id: ReplicaID in 1...3 { cluster.tick(id) }
                }
            }
            let attempts = cluster.nodes[1]!.attemptsStarted + cluster.nodes[2]!.attemptsStarted
            let run = max(cluster.nodes[1]!.longestFailureRun, cluster.nodes[2]!.longestFailureRun)
            return (cluster.nodes[1]!.chosenValue(at: 1) != nil, attempts, run)
        }
        let livelock = duel(backoffTicksMax: 0)
        #expect(!livelock.chosen, "without back-off the duel goes on")
        #expect(livelock.attempts > 100)
        let resolved = duel(backoffTicksMax: 16)
        #expect(resolved.chosen)
        #expect(resolved.attempts <= 6 && resolved.longestRun <= 2, "attempts \(resolved.attempts), longest run \(resolved.longestRun)")
    }

    /// "Paxos Made Simple" §2.5: an acceptor answers only once durable.
    @Test func anAcceptorsPromiseLeavesOnlyOnceDurable() {
        var cluster = PaxosTestCluster(count: 3)
        cluster.manualPersist = [2]
        cluster.propose(1, [7])
        // Deliver the prepare to 2.
        let prepare = cluster.inFlight.firstIndex { $0.to == 2 }!
        cluster.deliver(at: prepare)
        #expect(!cluster.inFlight.contains { $0.from == 2 })
        cluster.releasePersists(2)
        #expect(cluster.inFlight.contains { $0.from == 2 && { if case .promise = $0.body { true } else { false } }($0) })
    }

    @Test func theBugAnswerBeforeDurableSendsThePromiseAtOnce() {
        var cluster = PaxosTestCluster(count: 3) { $0.testingBugs = [.answerBeforeDurable] }
        cluster.manualPersist = [2]
        cluster.propose(1, [7])
        cluster.deliver(at: cluster.inFlight.firstIndex { $0.to == 2 }!)
        #expect(cluster.inFlight.contains { $0.from == 2 })
    }

    @Test func aRestartedAcceptorKeepsItsPromise() {
        var cluster = PaxosTestCluster(count: 3)
        cluster.propose(1, [7])
        cluster.deliverAll()
        cluster.crash(2)
        cluster.restart(2)
        let promised = cluster.nodes[2]!.acceptor(at: 1).promised
        #expect(promised.replica == 1 && promised.round >= 1)
        #expect(cluster.nodes[2]!.chosenValue(at: 1) == [7])
        #expect(cluster.chosen[2] == [ChosenValue(slot: 1, value: [7])], "a restart hands out the learned prefix again")
    }

    /// P1a broken: a value chosen in a lower ballot after a higher promise,
    /// while the higher ballot's proposer, told of nothing, chose another.
    @Test func theBugAcceptLowerBallotLetsTwoValuesBeChosen() {
        func run(bugs: Set<PaxosBug>) -> (first: [UInt8]?, third: [UInt8]?) {
            func isAccept(_ message: PaxosMessage) -> Bool {
                if case .accept = message.body { return true }
                return false
            }
            func isDecided(_ message: PaxosMessage) -> Bool {
                if case .decided = message.body { return true }
                return false
            }
            var cluster = PaxosTestCluster(count: 3) { $0.testingBugs = bugs }
            // Replica 1 runs phase 1 with 1 and 2; its accepts to the
            // others are held back.
            cluster.propose(1, [1])
            cluster.inFlight.removeAll { $0.to == 3 }
            while let next = cluster.inFlight.firstIndex(where: { !isAccept($0) }) { cluster.deliver(at: next) }
            let held = cluster.inFlight.filter { isAccept($0) && $0.to == 2 }
            cluster.inFlight = []
            // Replica 3 runs both phases with 2 and 3 only, and nobody is told.
            cluster.propose(3, [3])
            while !cluster.inFlight.isEmpty {
                cluster.inFlight.removeAll { $0.to == 1 || isDecided($0) }
                if !cluster.inFlight.isEmpty { cluster.deliver(at: 0) }
            }
            // Replica 1's accept reaches 2, which promised the higher ballot.
            cluster.inFlight = held
            while !cluster.inFlight.isEmpty {
                cluster.inFlight.removeAll { $0.to == 3 || isDecided($0) }
                if !cluster.inFlight.isEmpty { cluster.deliver(at: 0) }
            }
            return (cluster.nodes[1]!.chosenValue(at: 1), cluster.nodes[3]!.chosenValue(at: 1))
        }
        let buggy = run(bugs: [.acceptLowerBallot])
        #expect(buggy.third == [3] && buggy.first == [1], "two values chosen in slot 1")
        let correct = run(bugs: [])
        #expect(correct.third == [3] && correct.first == nil, "the lower ballot is refused")
    }

    @Test func emptyValuesAreRefused() {
        var node = PaxosNode(configuration: PaxosConfiguration(id: 1, replicas: [1, 2, 3]), random: SplitMix64(seed: 1))
        #expect(throws: PaxosRequestError.emptyValue) { try node.propose([]) }
    }
}
