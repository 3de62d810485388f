import ConcordFoundation
import Testing
@testable import ConcordPaxos

/// Multi-Paxos ("Paxos Made Simple" §3) on the in-test network.
@Suite struct MultiPaxosTests {
    @Test func aCandidateWithAPhaseOneQuorumLeadsAndCommandsAreChosenEverywhere() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        #expect(cluster.nodes[1]!.role == .leader)
        #expect(cluster.nodes[2]!.leader == 1 && cluster.nodes[3]!.promised == cluster.nodes[1]!.ballot)
        try cluster.propose(1, [[1], [2], [3]])
        cluster.deliverAll()
        for id: ReplicaID in 1...3 {
            #expect(cluster.commands(id) == [[1], [2], [3]], "replica \(id)")
        }
    }

    /// Phase 1 runs once: later commands take phase 2 only.
    @Test func theLeaderRunsPhaseOneOnceForAllLaterSlots() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        cluster.inFlight = []
        for command in 0..<10 {
            try cluster.propose(1, [[UInt8(command)]])
            var prepares = 0
            while !cluster.inFlight.isEmpty {
                if case .prepare = cluster.inFlight[0].body { prepares += 1 }
                cluster.deliver(at: 0)
            }
            #expect(prepares == 0)
        }
        #expect(cluster.commands(3).count == 10)
    }

    /// "Paxos Made Simple" §3: the new leader learns every value an acceptor
    /// of its phase-1 quorum accepted, proposes the highest-ballot one, and
    /// fills gaps with no-ops.
    @Test func aNewLeaderRecoversAcceptedValuesByHighestBallotAndFillsGapsWithNoOps() {
        let old = Ballot(round: 1, replica: 3)
        let older = Ballot(round: 1, replica: 2)
        func entry(_ slot: UInt64, _ ballot: Ballot, _ byte: UInt8) -> MultiPaxosLogEntry {
            MultiPaxosLogEntry(slot: slot, ballot: ballot, kind: .command, data: [byte])
        }
        // Replica 2 accepted slot 1 in an older ballot and slot 3 in the
        // newer one; replica 3 accepted slot 1 in the newer ballot. Slot 2
        // was accepted by nobody.
        var durable: [ReplicaID: MultiPaxosDurableState] = [:]
        durable[2] = MultiPaxosDurableState(
            hardState: MultiPaxosHardState(promised: old), entries: [entry(1, older, 10), .vacant(2), entry(3, old, 30)])
        durable[3] = MultiPaxosDurableState(hardState: MultiPaxosHardState(promised: old), entries: [entry(1, old, 11)])
        // Phase 1 waits for all three, so that both reports of slot 1 count.
        var cluster = MultiPaxosTestCluster(count: 3, durable: durable) { $0.phaseOneQuorum = 3 }
        cluster.elect(1)
        #expect(cluster.nodes[1]!.role == .leader)
        for id: ReplicaID in 1...3 {
            let applied = cluster.applied[id]!
            #expect(applied.map(\.slot) == [1, 2, 3], "replica \(id)")
            #expect(applied.map(\.kind) == [.command, .noop, .command])
            #expect(applied.map(\.data) == [[11], [], [30]])
        }
    }

    @Test func theBugSkipPhaseOneRecoveryLosesAValueAnotherAcceptorAccepted() {
        let old = Ballot(round: 1, replica: 3)
        var durable: [ReplicaID: MultiPaxosDurableState] = [:]
        durable[2] = MultiPaxosDurableState(
            hardState: MultiPaxosHardState(promised: old),
            entries: [MultiPaxosLogEntry(slot: 1, ballot: old, kind: .command, data: [7])])
        var buggy = MultiPaxosTestCluster(count: 3, durable: durable) { $0.testingBugs = [.skipPhaseOneRecovery] }
        buggy.elect(1)
        #expect(buggy.applied[1]!.isEmpty, "the buggy leader proposes nothing for slot 1")
        var correct = MultiPaxosTestCluster(count: 3, durable: durable)
        correct.elect(1)
        #expect(correct.commands(1) == [[7]])
    }

    @Test func commandsAreBatchedIntoAcceptsAndPipelinedUpToTheWindow() throws {
        var cluster = MultiPaxosTestCluster(count: 3) {
            $0.entriesPerMessageMax = 2
            $0.inflightMessagesMax = 3
        }
        cluster.elect(1)
        try cluster.propose(1, [[1], [2]])
        cluster.deliverAll()
        cluster.inFlight = []
        try cluster.propose(1, (10..<20).map { [UInt8($0)] })
        let accepts = cluster.inFlight.filter { $0.to == 2 }.compactMap { message -> MultiPaxosMessage.Accept? in
            if case .accept(let accept) = message.body { return accept }
            return nil
        }
        #expect(accepts.count == 3, "three messages in flight, the window")
        #expect(accepts.allSatisfy { $0.entries.count == 2 })
        cluster.deliverAll()
        #expect(cluster.commands(2).count == 12)
    }

    @Test func aFollowerForwardsProposalsOrRefusesThemWithTheLeadersName() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(2, [[5]])
        cluster.deliverAll()
        #expect(cluster.commands(3) == [[5]])
        var refusing = MultiPaxosTestCluster(count: 3) { $0.forwardsProposals = false }
        refusing.elect(1)
        #expect(throws: MultiPaxosRequestError.notLeader(leaderHint: 1)) { try refusing.propose(2, [[5]]) }
    }

    /// Reads by read quorum: the leader answers after a round of heartbeats.
    @Test func aReadWaitsForAReadQuorumToConfirmTheLeader() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(1, [[1]])
        cluster.deliverAll()
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 7))
        #expect(cluster.readStates[1, default: []].isEmpty)
        cluster.deliverAll()
        #expect(cluster.readStates[1] == [MultiPaxosReadState(index: 1, context: 7)])
        // A follower's read is forwarded and answered with the leader's index.
        cluster.handle(3, try cluster.nodes[3]!.readIndex(context: 8))
        cluster.deliverAll()
        #expect(cluster.readStates[3] == [MultiPaxosReadState(index: 1, context: 8)])
    }

    @Test func anIsolatedLeaderCannotConfirmARead() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        cluster.isolate(1)
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 1))
        cluster.deliverAll()
        #expect(cluster.readStates[1, default: []].isEmpty)
    }

    /// With a declared clock-drift bound, a leader within its lease answers
    /// at once; after the lease it needs a read quorum again.
    @Test func aLeaseServesReadsWithoutARoundUntilItExpires() throws {
        var cluster = MultiPaxosTestCluster(count: 3) {
            $0.clockDriftBoundTicks = 2
            $0.electionTimeoutTicks = 10
        }
        cluster.elect(1)
        cluster.tick(1)
        cluster.deliverAll()
        cluster.isolate(1)
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 1))
        #expect(cluster.readStates[1] == [MultiPaxosReadState(index: 0, context: 1)])
        for _ in 0..<9 { cluster.tick(1) }
        cluster.deliverAll()
        cluster.handle(1, try cluster.nodes[1]!.readIndex(context: 2))
        cluster.deliverAll()
        #expect(cluster.readStates[1]!.count == 1, "the lease expired; the isolated leader cannot confirm")
    }

    @Test func flexibleQuorumsChooseWithASmallPhaseTwoQuorum() throws {
        var cluster = MultiPaxosTestCluster(count: 5) {
            $0.phaseOneQuorum = 4
            $0.phaseTwoQuorum = 2
        }
        cluster.elect(1)
        #expect(cluster.nodes[1]!.role == .leader)
        for id: ReplicaID in 3...5 { cluster.isolate(id) }
        try cluster.propose(1, [[9]])
        cluster.deliverAll()
        #expect(cluster.nodes[1]!.commitIndex == 1, "the leader and one acceptor choose")
        // Electing a leader needs four promises.
        cluster.heal()
        cluster.isolate(4)
        cluster.isolate(5)
        cluster.elect(2)
        #expect(cluster.nodes[2]!.role != .leader)
    }

    @Test func aLaggingFollowerReceivesASnapshotInChunksAfterCompaction() throws {
        var cluster = MultiPaxosTestCluster(count: 3) { $0.snapshotChunkBytesMax = 3 }
        cluster.elect(1)
        cluster.isolate(3)
        try cluster.propose(1, (0..<6).map { [UInt8($0)] })
        cluster.deliverAll()
        let applied = cluster.nodes[1]!.appliedIndex
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: applied, snapshotData: Array(repeating: 7, count: 10)))
        cluster.heal()
        for _ in 0..<4 {
            cluster.tick(1)
            cluster.deliverAll()
        }
        #expect(cluster.installedSnapshots[3]?.last == MultiPaxosSnapshot(index: applied, data: Array(repeating: 7, count: 10)))
        try cluster.propose(1, [[99]])
        cluster.deliverAll()
        #expect(cluster.commands(3) == [[99]])
        // A snapshot at or before the latest changes nothing; one past the
        // applied slot is refused.
        let latest = cluster.nodes[1]!.appliedIndex
        _ = try cluster.nodes[1]!.compact(upTo: 1, snapshotData: [])
        #expect(cluster.nodes[1]!.snapshotIndex == applied)
        #expect(throws: MultiPaxosRequestError.snapshotIndexNotApplied(requested: latest + 1, applied: latest)) {
            try cluster.nodes[1]!.compact(upTo: latest + 1, snapshotData: [])
        }
    }

    @Test func leadershipTransferHandsOverAndTheNewLeaderKeepsTheLog() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(1, [[1]])
        cluster.deliverAll()
        cluster.handle(1, try cluster.nodes[1]!.transferLeadership(to: 2))
        cluster.deliverAll()
        #expect(cluster.nodes[2]!.role == .leader)
        #expect(cluster.nodes[1]!.role == .follower)
        try cluster.propose(2, [[2]])
        cluster.deliverAll()
        #expect(cluster.commands(3) == [[1], [2]])
    }

    /// "Paxos Made Simple" §2.5: promises and acceptances leave once durable.
    @Test func promisesAndAcceptancesLeaveOnlyOnceDurable() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.manualPersist = [2]
        cluster.handle(1, cluster.nodes[1]!.campaign())
        cluster.deliver(at: cluster.inFlight.firstIndex { $0.to == 2 }!)
        #expect(!cluster.inFlight.contains { $0.from == 2 })
        cluster.releasePersists(2)
        #expect(cluster.inFlight.contains { $0.from == 2 })
        cluster.manualPersist = []
        cluster.deliverAll()
        cluster.manualPersist = [3]
        try cluster.propose(1, [[4]])
        while let index = cluster.inFlight.firstIndex(where: { $0.to == 3 }) { cluster.deliver(at: index) }
        #expect(!cluster.inFlight.contains { $0.from == 3 })
        cluster.releasePersists(3)
        #expect(cluster.inFlight.contains { $0.from == 3 })
    }

    @Test func aRestartedReplicaKeepsItsPromiseAndItsLog() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(1, [[1], [2]])
        cluster.deliverAll()
        let promised = cluster.nodes[2]!.promised
        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster.nodes[2]!.promised == promised)
        #expect(cluster.nodes[2]!.entry(at: 2)?.data == [2])
        // The commit index is persisted lazily: the leader's next heartbeat
        // tells it again, and the chosen slots are handed out again.
        cluster.tick(1)
        cluster.deliverAll()
        #expect(cluster.commands(2) == [[1], [2]])
    }

    /// A leader that meets a higher promise campaigns again at once and
    /// keeps the log.
    @Test func aLeaderThatMeetsAHigherPromiseCampaignsAgain() throws {
        var cluster = MultiPaxosTestCluster(count: 3)
        cluster.elect(1)
        cluster.isolate(3)
        for _ in 0..<30 {
            cluster.tick(3)
            cluster.deliverAll()
        }
        #expect(cluster.nodes[3]!.promised > cluster.nodes[1]!.ballot)
        cluster.heal()
        for _ in 0..<4 {
            cluster.tick(1)
            cluster.deliverAll()
        }
        #expect(cluster.leader != nil)
        let leader = cluster.leader!
        try cluster.propose(leader, [[8]])
        cluster.deliverAll()
        #expect(cluster.commands(3) == [[8]])
    }

    @Test func storedEntriesRoundTripAndGarbageIsRefused() throws {
        let entry = MultiPaxosLogEntry(slot: 4, ballot: Ballot(round: 9, replica: 2), kind: .command, data: [1, 2])
        #expect(try MultiPaxosLogEntry(slot: 4, storedTerm: entry.ballot.rawValue, storedData: entry.storedData) == entry)
        let noop = MultiPaxosLogEntry(slot: 5, ballot: Ballot(round: 9, replica: 2), kind: .noop)
        #expect(try MultiPaxosLogEntry(slot: 5, storedTerm: noop.ballot.rawValue, storedData: noop.storedData) == noop)
        #expect(throws: BinaryDecodingError.self) { try MultiPaxosLogEntry(slot: 1, storedTerm: 0, storedData: []) }
        #expect(throws: BinaryDecodingError.self) { try MultiPaxosLogEntry(slot: 1, storedTerm: 0, storedData: [9]) }
        #expect(throws: BinaryDecodingError.self) { try MultiPaxosLogEntry(slot: 1, storedTerm: 0, storedData: [2, 1]) }
    }

    @Test func theMemoryStorageRefusesAHoleAndKeepsSlotsAfterASnapshot() throws {
        var storage = MemoryMultiPaxosStorage()
        let ballot = Ballot(round: 1, replica: 1)
        try storage.persist(MultiPaxosPersistRequest(sequence: 1, entries: (1...4).map { MultiPaxosLogEntry(slot: $0, ballot: ballot, data: [UInt8($0)]) }))
        #expect(throws: MultiPaxosStorageError.entriesNotContiguous(lastStored: 4, firstWritten: 6)) {
            try storage.persist(MultiPaxosPersistRequest(sequence: 2, entries: [MultiPaxosLogEntry(slot: 6, ballot: ballot)]))
        }
        try storage.persist(MultiPaxosPersistRequest(sequence: 3, snapshot: MultiPaxosSnapshot(index: 2, data: [1])))
        #expect(storage.state.entries.map(\.slot) == [3, 4])
        try storage.persist(MultiPaxosPersistRequest(sequence: 4, entries: [MultiPaxosLogEntry(slot: 3, ballot: ballot, data: [9])]))
        #expect(storage.state.entries.map(\.slot) == [3], "a write replaces every slot from its first on")
    }
}
