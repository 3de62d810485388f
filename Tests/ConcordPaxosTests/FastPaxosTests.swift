import ConcordFoundation
import Testing
@testable import ConcordPaxos

/// A tiny in-test network for `FastPaxosNode`.
struct FastPaxosTestCluster {
    var nodes: [ReplicaID: FastPaxosNode] = [:]
    var storage: [ReplicaID: FastPaxosDurableState] = [:]
    var inFlight: [FastPaxosMessage] = []
    var chosen: [ReplicaID: [FastPaxosDecision]] = [:]
    var down: Set<ReplicaID> = []

    init(count: Int, configure: (inout FastPaxosConfiguration) -> Void = { _ in }) {
        let replicas = (1...count).map { ReplicaID($0) }
        for id in replicas {
            var configuration = FastPaxosConfiguration(id: id, replicas: replicas)
            configure(&configuration)
            storage[id] = FastPaxosDurableState()
            nodes[id] = FastPaxosNode(configuration: configuration, random: SplitMix64(seed: id &* 7919))
            chosen[id] = []
        }
    }

    mutating func handle(_ id: ReplicaID, _ output: FastPaxosOutput) {
        inFlight.append(contentsOf: output.messages.filter { !down.contains($0.to) })
        chosen[id, default: []].append(contentsOf: output.chosen)
        if let request = output.persist {
            storage[id]!.apply(request)
            handle(id, nodes[id]!.onPersisted(upTo: request.sequence))
        }
    }

    mutating func deliver(at index: Int) {
        let message = inFlight.remove(at: index)
        guard !down.contains(message.to) else { return }
        handle(message.to, nodes[message.to]!.step(message))
    }

    mutating func deliverAll() {
        while !inFlight.isEmpty { deliver(at: 0) }
    }

    /// A client command reaching replica `id` (if it takes it).
    mutating func command(_ command: [UInt8], at id: ReplicaID) {
        guard !down.contains(id), let output = try? nodes[id]!.propose(command) else { return }
        handle(id, output)
    }

    mutating func tickAll() {
        for id in nodes.keys.sorted() where !down.contains(id) { handle(id, nodes[id]!.tick()) }
    }

    mutating func elect(_ id: ReplicaID) {
        handle(id, nodes[id]!.campaign())
        deliverAll()
    }

    func values(_ id: ReplicaID) -> [[[UInt8]]] { chosen[id]!.map(\.value) }
}

@Suite struct FastPaxosTests {
    @Test func aFastTallyDetectsACollisionAsSoonAsNoValueCanReachAFastQuorum() {
        var tally = FastPaxosTally(isFast: true, quorum: 4, replicaCount: 5)
        #expect(tally.add([[1]], from: 1) == .pending)
        #expect(tally.add([[2]], from: 2) == .pending, "3 unheard could still make 4 for [1]")
        #expect(tally.add([[2]], from: 3) == .pending, "2 unheard could still make 4 for [2]")
        #expect(tally.add([[1]], from: 4) == .collision, "2 + 1 unheard < 4 for either")
        var winning = FastPaxosTally(isFast: true, quorum: 4, replicaCount: 5)
        for acceptor: ReplicaID in 1...3 { winning.add([[1]], from: acceptor) }
        #expect(winning.add([[1]], from: 4) == .chosen([[1]]))
        var classic = FastPaxosTally(isFast: false, quorum: 3, replicaCount: 5)
        classic.add([[1]], from: 1)
        #expect(classic.add([[1]], from: 1) == .pending, "an acceptor counts once")
        classic.add([[1]], from: 2)
        #expect(classic.add([[1]], from: 3) == .chosen([[1]]))
    }

    /// Rule O4 ("Fast Paxos" §3.2).
    @Test func theRecoveryRuleForcesAValueThatMayHaveBeenChosenAndFreesTheSlotOtherwise() {
        let quorums = FastQuorumSizes.minimal(replicaCount: 5)  // classic 3, fast 4
        let fast = Ballot(round: 2, replica: 1)
        func vote(_ value: UInt8, _ ballot: Ballot = fast, isFast: Bool = true) -> FastPaxosVote {
            FastPaxosVote(slot: 1, ballot: ballot, value: [[value]], isFast: isFast)
        }
        // Q = {1, 2, 3}; 1 and 2 voted a, 3 voted b: a fast quorum of 4
        // could be {1, 2, 4, 5}: a may have been chosen.
        #expect(FastPaxosValueRule.pick(votes: [1: vote(1), 2: vote(1), 3: vote(2)], quorum: [1, 2, 3], quorums: quorums) == .forced([[1]]))
        // Q = {1, 2, 3} with a, b, c: none may have been chosen.
        #expect(
            FastPaxosValueRule.pick(votes: [1: vote(1), 2: vote(2), 3: vote(3)], quorum: [1, 2, 3], quorums: quorums)
                == .free(commandsSeen: [[1], [2], [3]]))
        // A classic vote in the highest ballot is forced; lower ballots do not count.
        let later = Ballot(round: 3, replica: 2)
        #expect(
            FastPaxosValueRule.pick(votes: [1: vote(1), 2: vote(7, later, isFast: false)], quorum: [1, 2, 3], quorums: quorums)
                == .forced([[7]]))
        #expect(FastPaxosValueRule.pick(votes: [:], quorum: [1, 2, 3], quorums: quorums) == .nothingVoted)
    }

    /// With fast quorums as small as classic ones, a coordinator can see two
    /// values that each may have been chosen: the Quorum Requirement's (b).
    @Test func withFastQuorumsTooSmallTwoValuesMayEachHaveBeenChosen() {
        let tooSmall = FastQuorumSizes(unchecked: 5, classic: 3, fast: 3)
        let fast = Ballot(round: 2, replica: 1)
        let votes: [ReplicaID: FastPaxosVote] = [
            3: FastPaxosVote(slot: 1, ballot: fast, value: [[1]], isFast: true),
            4: FastPaxosVote(slot: 1, ballot: fast, value: [[2]], isFast: true),
            5: FastPaxosVote(slot: 1, ballot: fast, value: [[2]], isFast: true),
        ]
        // {1, 2, 3} may have chosen [1] and {3, 4, 5}... [2]: both qualify;
        // the rule picks the more voted, [2], though [1] may be chosen.
        #expect(FastPaxosValueRule.pick(votes: votes, quorum: [3, 4, 5], quorums: tooSmall) == .forced([[2]]))
        let correct = FastQuorumSizes.minimal(replicaCount: 5)
        #expect(FastPaxosValueRule.pick(votes: votes, quorum: [3, 4, 5], quorums: correct) == .forced([[2]]))
    }

    @Test func aCommandSentToEveryAcceptorIsChosenInAFastRound() {
        var cluster = FastPaxosTestCluster(count: 3)
        cluster.elect(1)
        #expect(cluster.nodes[1]!.role == .coordinator && cluster.nodes[1]!.isFastRound)
        #expect(cluster.nodes[2]!.acceptsFastProposals)
        for id: ReplicaID in 1...3 { cluster.command([5], at: id) }
        cluster.deliverAll()
        #expect(cluster.nodes[1]!.fastDecisions == 1 && cluster.nodes[1]!.classicDecisions == 0)
        for id: ReplicaID in 1...3 { #expect(cluster.values(id) == [[[5]]], "replica \(id)") }
    }

    @Test func aCollisionIsRecoveredThroughAClassicRoundAndBothCommandsAreChosen() {
        var cluster = FastPaxosTestCluster(count: 3)
        cluster.elect(1)
        // The acceptors receive two clients' commands in different orders.
        cluster.command([1], at: 1)
        cluster.command([2], at: 1)
        cluster.command([2], at: 2)
        cluster.command([1], at: 2)
        cluster.command([1], at: 3)
        cluster.command([2], at: 3)
        cluster.deliverAll()
        for _ in 0..<20 {
            cluster.tickAll()
            cluster.deliverAll()
        }
        #expect(cluster.nodes[1]!.collisions >= 1)
        let log = cluster.values(1).flatMap { $0 }
        #expect(log.contains([1]) && log.contains([2]))
        for id: ReplicaID in 2...3 { #expect(cluster.values(id) == cluster.values(1), "replica \(id)") }
        // The acceptors are lined up again: the next command goes fast.
        let fastBefore = cluster.nodes[cluster.nodes.values.first { $0.role == .coordinator }!.id]!.fastDecisions
        for id: ReplicaID in 1...3 { cluster.command([3], at: id) }
        cluster.deliverAll()
        let coordinator = cluster.nodes.values.first { $0.role == .coordinator }!
        #expect(coordinator.fastDecisions == fastBefore + 1)
    }

    @Test func withoutAFastQuorumTheCoordinatorRunsClassicRounds() {
        var cluster = FastPaxosTestCluster(count: 3)
        cluster.down = [3]
        cluster.elect(1)
        #expect(cluster.nodes[1]!.role == .coordinator && !cluster.nodes[1]!.isFastRound)
        cluster.command([4], at: 1)
        cluster.command([4], at: 2)
        cluster.deliverAll()
        #expect(cluster.nodes[1]!.classicDecisions >= 1)
        #expect(cluster.values(2).flatMap { $0 } == [[4]])
    }

    @Test func aCandidateHoldsCommandsForTheRoundItOpens() {
        var cluster = FastPaxosTestCluster(count: 3)
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.command([6], at: 1)
        cluster.deliverAll()
        #expect(cluster.values(1).flatMap { $0 } == [[6]])
    }
}
