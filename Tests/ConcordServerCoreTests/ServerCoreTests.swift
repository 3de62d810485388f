import ConcordKV
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// The server core's decisions, driven directly: what it answers and when,
/// what it proposes, forwards and refuses.
@Suite struct ServerCoreTests {
    @Test func aWriteIsAnsweredOnlyOnceCommittedAndIsReadEverywhere() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        let id = cluster.send(CoreCluster.put("k", "v"), to: follower)
        // Nothing is answered before the entry travels and commits.
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
        }
    }

    @Test func serializableReadsAreAnsweredAtOnceAndLinearizableOnesAfterTheirRound() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        _ = cluster.ask(CoreCluster.put("k", "1"), to: leader)
        let serializable = cluster.send(CoreCluster.get("k", serializable: true), to: follower)
        #expect(cluster.replies[serializable]?.values == ["1"], "answered in the same output")
        let linearizable = cluster.send(CoreCluster.get("k"), to: follower)
        #expect(cluster.replies[linearizable] == nil, "waits for its ReadIndex round")
        cluster.settle()
        #expect(cluster.replies[linearizable]?.values == ["1"])
    }

    @Test func aMemberCutOffFromTheLeaderServesNoLinearizableRead() {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        _ = cluster.ask(CoreCluster.put("k", "1"), to: leader)
        cluster.isolated = [follower]
        let read = cluster.send(CoreCluster.get("k"), to: follower)
        cluster.tick(50)
        #expect(cluster.replies[read]?.isSuccess != true, "no stale answer from a member that cannot reach the leader")
    }

    @Test func theLocalReadBugAnswersStaleData() {
        var cluster = CoreCluster { $0.bugs = [.localLinearizableRead] }
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        _ = cluster.ask(CoreCluster.put("k", "1"), to: leader)
        cluster.isolated = [follower]
        _ = cluster.ask(CoreCluster.put("k", "2"), to: leader)
        #expect(cluster.ask(CoreCluster.get("k"), to: follower, ticksMax: 5)?.values == ["1"])
    }

    @Test func aProposalThatReachesTheLogTwiceIsAppliedOnce() throws {
        // The network delivers every forwarded proposal twice; the leader
        // appends both copies, every member applies the payload once.
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        cluster.duplicates = { bytes in bytes.count > PeerFrame.headerBytes + 8 && bytes[PeerFrame.headerBytes + 8] == 10 }
        let answer = cluster.ask(CoreCluster.put("k", "once"), to: follower)
        let reply = try #require(answer)
        #expect(reply.isSuccess)
        cluster.tick(5)
        for member in cluster.ids { #expect(cluster.cores[member]!.revision == 2, "n\(member) applied the put once") }
        #expect(cluster.cores[leader]!.commitIndex >= 3, "both copies are in the log")
    }

    @Test func withoutTheDuplicateFilterTheSameProposalIsAppliedTwice() {
        var cluster = CoreCluster { $0.bugs = [.reapplyRetriedProposal] }
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        cluster.duplicates = { bytes in bytes.count > PeerFrame.headerBytes + 8 && bytes[PeerFrame.headerBytes + 8] == 10 }
        _ = cluster.ask(CoreCluster.put("k", "twice"), to: follower)
        cluster.tick(5)
        #expect(cluster.cores[leader]!.revision == 3)
    }

    @Test func aProposalLostWithItsLeaderIsProposedAgainToTheNextOne() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        // The leader is cut off before the forwarded proposal reaches it.
        cluster.isolated = [leader]
        let id = cluster.send(CoreCluster.put("k", "survives"), to: follower)
        cluster.settle()
        #expect(cluster.replies[id] == nil)
        let reached1 = cluster.tick(until: { $0.replies[id] != nil }, ticksMax: 200)
        #expect(reached1, "answered after the next leader took the proposal")
        #expect(cluster.replies[id]?.isSuccess == true)
        let newLeader = try #require(cluster.leader)
        #expect(newLeader != leader)
        #expect(cluster.cores[newLeader]!.revision == 2)
    }

    @Test func requestsWaitForALeaderAndFailWithNoLeaderAtTheirDeadline() {
        var cluster = CoreCluster { $0.requestTimeoutMilliseconds = 300 }
        let id = cluster.send(CoreCluster.put("k", "v"), to: 1)
        #expect(cluster.replies[id] == nil, "parked while no leader is known")
        cluster.isolated = Set(cluster.ids)
        cluster.tick(40)
        #expect(cluster.replies[id]?.failure == .server(.noLeader))
    }

    @Test func aKeepAliveOnAFollowerIsForwardedToTheLeaderAndAnExpiredLeaseIsRevoked() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        let grant = cluster.ask(.leaseGrant(id: 0, ttlSeconds: 2), to: follower)
        let granted = try #require(grant)
        guard case .success(.leaseGranted(let lease, let ttl)) = granted.result else {
            Issue.record("unexpected \(granted.result)")
            return
        }
        #expect(ttl == 2)
        _ = cluster.ask(CoreCluster.put("held", "x", lease: lease), to: follower)
        let renewal = cluster.ask(.leaseKeepAlive(id: lease), to: follower)
        let renewed = try #require(renewal)
        guard case .success(.leaseRenewed(let renewedTTL)) = renewed.result else {
            Issue.record("unexpected \(renewed.result)")
            return
        }
        #expect(renewedTTL == 2)
        // Left alone, the lease expires on the leader, which revokes it through the log.
        let reached2 = cluster.tick(until: { $0.cores.values.allSatisfy { $0.stateMachine.leases.leaseIDs.isEmpty } }, ticksMax: 400)
        #expect(reached2)
        #expect(cluster.ask(CoreCluster.get("held"), to: follower)?.values == [])
        #expect(cluster.ask(.leaseKeepAlive(id: lease), to: follower)?.failure == .lease(.leaseNotFound))
    }

    @Test func etcdsRemovalCheckWaitsForEnoughVotersConnectedForTheHealthInterval() throws {
        var cluster = CoreCluster(size: 3) { $0.memberHealthIntervalMilliseconds = 1000 }
        let leader = cluster.electLeader()
        let others = cluster.ids.filter { $0 != leader }
        // Just elected: no voter has been heard from for the health interval.
        #expect(cluster.ask(.memberRemove(id: others[0]), to: leader)?.failure == .membership(.unhealthy))
        // A silent voter is not part of the active quorum and may go.
        cluster.isolated = [others[1]]
        cluster.tick(30)
        let removeSilent = cluster.cores[leader]!.removalKeepsQuorum(others[1])
        #expect(removeSilent)
        cluster.isolated = []
        cluster.tick(150)
        // Everyone heard from for longer than the interval: the removal goes through.
        let removal = cluster.ask(.memberRemove(id: others[0]), to: leader)
        let reply = try #require(removal)
        guard case .success(.members(let members)) = reply.result else {
            Issue.record("unexpected \(reply.result)")
            return
        }
        #expect(Set(members.map(\.id)) == Set(cluster.ids).subtracting([others[0]]))
        let reached3 = cluster.tick(until: { $0.cores[others[0]]!.isRemovedFromCluster }, ticksMax: 100)
        #expect(reached3)
    }

    @Test func framesThatDoNotBelongAreDroppedWithAReason() {
        var cluster = CoreCluster()
        _ = cluster.electLeader()
        var core = cluster.cores[1]!
        let garbage = core.onPeerFrame([2, 0, 1], from: 2, nowMilliseconds: cluster.now)
        #expect(garbage.events.contains { if case .droppedPeerFrame(2, _) = $0 { return true } else { return false } })
        let foreign = PeerFrame.raft(RaftMessage(from: 2, to: 1, term: 1, body: .timeoutNow)).encoded(from: 2, to: 1, clusterID: 99)
        #expect(core.onPeerFrame(foreign, from: 2, nowMilliseconds: cluster.now).events.count == 1)
        let misaddressed = PeerFrame.raft(RaftMessage(from: 2, to: 3, term: 1, body: .timeoutNow)).encoded(from: 2, to: 3, clusterID: 77)
        let dropped = core.onPeerFrame(misaddressed, from: 2, nowMilliseconds: cluster.now)
        #expect(dropped.events.contains { if case .droppedPeerFrame(2, let reason) = $0 { reason.contains("misaddressed") } else { false } })
        #expect(core.term == cluster.cores[1]!.term, "nothing changed")
    }

    @Test func aWatcherIsNamedWithWorkWhenItsKeyChanges() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        let stream = cluster.cores[follower]!.openWatchStream()
        let created = cluster.cores[follower]!.onWatchRequest(stream: stream, .create(WatchCreateRequest(key: Array("k".utf8))))
        #expect(created)
        _ = cluster.cores[follower]!.takeWatchResponses(stream: stream, maxResponses: 10)
        cluster.watchWork = [:]
        _ = cluster.ask(CoreCluster.put("k", "seen"), to: leader)
        cluster.tick(2)
        #expect(cluster.watchWork[follower]?.contains(stream) == true)
        let taken = cluster.cores[follower]!.takeWatchResponses(stream: stream, maxResponses: 10)
        #expect(taken.responses.flatMap(\.events).map { String(decoding: $0.kv.value, as: UTF8.self) } == ["seen"])
    }

    @Test func aLaggingMemberCatchesUpFromASnapshotThatCarriesTheRegistryAndTheFilter() throws {
        var cluster = CoreCluster { $0.snapshotEveryEntries = 4 }
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        cluster.isolated = [lagging]
        for index in 0..<12 { _ = cluster.ask(CoreCluster.put("k\(index)", "v"), to: leader) }
        #expect(cluster.cores[leader]!.snapshotIndex > cluster.cores[lagging]!.appliedIndex)
        cluster.isolated = []
        let reached4 = cluster.tick(until: { $0.cores[lagging]!.appliedIndex == $0.cores[leader]!.appliedIndex }, ticksMax: 300)
        #expect(reached4)
        #expect(cluster.events[lagging]!.contains { if case .snapshotInstalled = $0 { return true } else { return false } })
        #expect(cluster.cores[lagging]!.stateMachine == cluster.cores[leader]!.stateMachine)
        #expect(cluster.cores[lagging]!.memberRegistry == cluster.cores[leader]!.memberRegistry)
        #expect(cluster.cores[lagging]!.appliedProposals == cluster.cores[leader]!.appliedProposals)
    }

    @Test func aSnapshotEncodedByTheShellCompactsWhenItsBytesComeBackAndALaggingMemberCatchesUpFromIt() throws {
        var cluster = CoreCluster {
            $0.snapshotEveryEntries = 4
            $0.encodesSnapshotsInShell = true
        }
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        cluster.isolated = [lagging]
        let snapshotBefore = cluster.cores[leader]!.snapshotIndex
        for index in 0..<5 { _ = cluster.ask(CoreCluster.put("k\(index)", "v\(index)"), to: leader) }
        // Captured, not taken: the log is compacted only when the bytes come back.
        let capture = try #require(cluster.snapshotsToEncode[leader]?.first)
        #expect(cluster.cores[leader]!.snapshotIndex == snapshotBefore)
        // More entries applied while it is encoded: no second capture.
        for index in 5..<10 { _ = cluster.ask(CoreCluster.put("k\(index)", "v\(index)"), to: leader) }
        #expect(cluster.snapshotsToEncode[leader]!.count == 1)
        #expect(capture.index < cluster.cores[leader]!.appliedIndex)
        cluster.snapshotsToEncode[leader] = []
        cluster.perform(leader, cluster.cores[leader]!.onSnapshotEncoded(index: capture.index, data: capture.encoded(), nowMilliseconds: cluster.now))
        #expect(cluster.cores[leader]!.snapshotIndex == capture.index)
        #expect(cluster.events[leader]!.contains { if case .snapshotTaken(capture.index, _) = $0 { return true } else { return false } })
        // The entries applied since are many enough for the next capture, at once.
        let next = try #require(cluster.snapshotsToEncode[leader]?.first)
        #expect(next.index == cluster.cores[leader]!.appliedIndex)
        // A late or repeated answer changes nothing.
        cluster.perform(leader, cluster.cores[leader]!.onSnapshotEncoded(index: capture.index, data: [1, 2, 3], nowMilliseconds: cluster.now))
        #expect(cluster.cores[leader]!.snapshotIndex == capture.index)
        // The lagging member is sent the snapshot of the captured state and
        // the entries after it.
        cluster.isolated = []
        let caughtUp = cluster.tick(until: { $0.cores[lagging]!.appliedIndex == $0.cores[leader]!.appliedIndex }, ticksMax: 300)
        #expect(caughtUp)
        #expect(cluster.events[lagging]!.contains { if case .snapshotInstalled(capture.index, _) = $0 { return true } else { return false } })
        #expect(cluster.cores[lagging]!.stateMachine == cluster.cores[leader]!.stateMachine)
        #expect(cluster.cores[lagging]!.appliedProposals == cluster.cores[leader]!.appliedProposals)
    }

    @Test func badRequestsGetTheStoresErrorAndChangeNothing() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let empty = cluster.ask(.write(.put(PutRequest(key: []))), to: leader)
        #expect(empty?.failure == .kv(.emptyKey))
        let tooLarge = cluster.ask(CoreCluster.put("k", String(repeating: "x", count: 2_000_000)), to: leader)
        #expect(tooLarge?.failure == .kv(.requestTooLarge))
        #expect(cluster.cores[leader]!.revision == 1)
    }
}
