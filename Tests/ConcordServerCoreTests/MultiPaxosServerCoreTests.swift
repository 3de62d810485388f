import ConcordKV
import ConcordPaxos
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// The server core on Multi-Paxos: the same decisions as on Raft, through
/// `MultiPaxosEngine`, and membership changes refused with a clear error.
@Suite struct MultiPaxosServerCoreTests {
    static func cluster(size: Int = 3, configure: (inout ServerCoreConfiguration) -> Void = { _ in }) -> CoreCluster {
        CoreCluster(size: size) { configuration in
            configuration.consensus = .multiPaxos
            configure(&configuration)
        }
    }

    @Test func aWriteIsAnsweredOnlyOnceChosenAndIsReadEverywhere() throws {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        #expect(cluster.cores[leader]!.engine is MultiPaxosEngine)
        let follower = cluster.ids.first { $0 != leader }!
        let id = cluster.send(CoreCluster.put("k", "v"), to: follower)
        #expect(cluster.replies[id] == nil)
        cluster.settle()
        let reply = try #require(cluster.replies[id])
        guard case .success(.kv(.put(let response))) = reply.result else {
            Issue.record("unexpected \(reply.result)")
            return
        }
        #expect(response.header.revision == 2)
        for member in cluster.ids {
            #expect(cluster.ask(CoreCluster.get("k"), to: member)?.values == ["v"])
            #expect(cluster.ask(CoreCluster.get("k", serializable: true), to: member)?.values == ["v"])
        }
    }

    @Test func aMemberCutOffFromTheLeaderServesNoLinearizableRead() {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        _ = cluster.ask(CoreCluster.put("k", "1"), to: leader)
        cluster.isolated = [follower]
        let read = cluster.send(CoreCluster.get("k"), to: follower)
        cluster.tick(50)
        #expect(cluster.replies[read]?.isSuccess != true)
    }

    @Test func addingRemovingAndPromotingMembersIsRefusedBecauseTheReplicasAreFixed() throws {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        let newcomer = MemberRecord(id: 99, name: "", peerURLs: ["test://n99"], clientURLs: [], isLearner: true)
        for member in [leader, follower] {
            #expect(cluster.ask(.memberAdd(newcomer), to: member)?.failure == .membership(.fixedReplicas))
            #expect(cluster.ask(.memberRemove(id: follower), to: member)?.failure == .membership(.fixedReplicas))
            #expect(cluster.ask(.memberPromote(id: follower), to: member)?.failure == .membership(.fixedReplicas))
        }
        #expect(MembershipError.fixedReplicas.message.contains("Multi-Paxos"))
        #expect(cluster.cores[leader]!.memberList().map(\.id) == cluster.ids)
        // A normal entry of the registry still goes through the log.
        let updateReply = cluster.ask(.memberUpdate(id: follower, peerURLs: ["test://moved"]), to: leader)
        let update = try #require(updateReply)
        #expect(update.isSuccess)
    }

    @Test func aMemberCannotJoinARunningMultiPaxosCluster() {
        var configuration = ServerCoreConfiguration(
            memberID: 4, name: "n4", clusterID: 0, joinedRunningCluster: true,
            initialMembers: [InitialMember(name: "n1", peerURL: "test://n1", foundingID: 1, joiningID: 1)], clientURLs: [])
        configuration.consensus = .multiPaxos
        #expect(configuration.problems.contains { $0.contains("Multi-Paxos") })
        #expect(throws: ServerCoreError.self) {
            _ = try ServerCore(configuration: configuration, durable: ServerCore.bootstrapState(configuration), seed: 1, nowMilliseconds: 0)
        }
    }

    @Test func leadershipMovesToTheRequestedMember() throws {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        let target = cluster.ids.first { $0 != leader }!
        let movedReply = cluster.ask(.moveLeader(to: target), to: leader)
        let moved = try #require(movedReply)
        #expect(moved.result == .success(.leaderMoved))
        #expect(cluster.leader == target)
        #expect(cluster.ask(CoreCluster.put("k", "after"), to: target)?.isSuccess == true)
    }

    @Test func aKeepAliveOnAFollowerIsForwardedAndAnExpiredLeaseIsRevoked() throws {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        let grantedReply = cluster.ask(.leaseGrant(id: 0, ttlSeconds: 2), to: follower)
        let granted = try #require(grantedReply)
        guard case .success(.leaseGranted(let lease, _)) = granted.result else {
            Issue.record("unexpected \(granted.result)")
            return
        }
        _ = cluster.ask(CoreCluster.put("held", "x", lease: lease), to: follower)
        let renewedReply = cluster.ask(.leaseKeepAlive(id: lease), to: follower)
        let renewed = try #require(renewedReply)
        #expect(renewed.result == .success(.leaseRenewed(ttlSeconds: 2)))
        let revoked = cluster.tick(until: { $0.cores.values.allSatisfy { $0.stateMachine.leases.leaseIDs.isEmpty } }, ticksMax: 400)
        #expect(revoked)
        #expect(cluster.ask(CoreCluster.get("held"), to: follower)?.values == [])
    }

    @Test func aLaggingMemberCatchesUpFromASnapshot() throws {
        var cluster = Self.cluster { $0.snapshotEveryEntries = 4 }
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        cluster.isolated = [lagging]
        for index in 0..<12 { _ = cluster.ask(CoreCluster.put("k\(index)", "v"), to: leader) }
        #expect(cluster.cores[leader]!.snapshotIndex > cluster.cores[lagging]!.appliedIndex)
        cluster.isolated = []
        let caughtUp = cluster.tick(until: { $0.cores[lagging]!.appliedIndex >= $0.cores[leader]!.appliedIndex }, ticksMax: 300)
        #expect(caughtUp)
        #expect(cluster.events[lagging]!.contains { if case .snapshotInstalled = $0 { return true } else { return false } })
        #expect(cluster.cores[lagging]!.stateMachine == cluster.cores[leader]!.stateMachine)
        #expect(cluster.cores[lagging]!.memberRegistry == cluster.cores[leader]!.memberRegistry)
    }

    @Test(arguments: ConsensusEngineKind.allCases)
    func everyMemberRestartsFromWhatItPersistedAndKeepsEveryAcknowledgedWrite(engine: ConsensusEngineKind) throws {
        var cluster = CoreCluster { $0.consensus = engine; $0.snapshotEveryEntries = 5 }
        let leader = cluster.electLeader()
        for index in 0..<8 { #expect(cluster.ask(CoreCluster.put("k\(index % 3)", "v\(index)"), to: leader)?.isSuccess == true) }
        let promised = cluster.cores[leader]!.term
        for (offset, id) in cluster.ids.enumerated() { try cluster.restart(id, seed: 100 + UInt64(offset)) }
        // The durable promise (term) survives the restart.
        #expect(cluster.cores[leader]!.term >= promised)
        let reelected = cluster.electLeader()
        for member in cluster.ids {
            #expect(cluster.ask(CoreCluster.get("k1", serializable: false), to: member)?.values == ["v7"])
        }
        #expect(cluster.ask(CoreCluster.put("k0", "after"), to: reelected)?.isSuccess == true)
        #expect(cluster.ask(CoreCluster.get("k0"), to: cluster.ids.first { $0 != reelected }!)?.values == ["after"])
    }

    @Test func theWriteAheadLogHoldsThePromiseAsTheTermAndSlotsWithTheirKindByte() throws {
        var cluster = Self.cluster()
        let leader = cluster.electLeader()
        _ = cluster.ask(CoreCluster.put("k", "v"), to: leader)
        let stored = cluster.storage[leader]!.state
        let engine = try #require(cluster.cores[leader]!.engine as? MultiPaxosEngine)
        #expect(stored.hardState.term == engine.node.promised.rawValue)
        #expect(stored.hardState.vote == nil)
        #expect(!stored.entries.isEmpty)
        for entry in stored.entries {
            let slot = try MultiPaxosLogEntry(slot: entry.index, storedTerm: entry.term, storedData: entry.data)
            #expect(slot == engine.node.entry(at: entry.index))
        }
        #expect(stored.entries.contains { $0.data.first == MultiPaxosLogEntry.Kind.command.rawValue })
    }
}
