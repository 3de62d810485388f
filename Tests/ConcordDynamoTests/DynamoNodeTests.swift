import ConcordClocks
import ConcordDynamo
import Testing

@Suite struct DynamoNodeTests {
    static let members: [MemberID] = [1, 2, 3, 4, 5]

    @Test func aQuorumWriteIsReadBackWithItsContext() {
        var cluster = TestCluster(members: Self.members)
        let key: ByteString = "apple"
        let coordinator = cluster.replicas(key)[0]
        let write = cluster.request(key, .put("red"), at: coordinator)
        guard case .written(let value, let version)? = cluster.outcome(write) else {
            Issue.record("write failed: \(String(describing: cluster.outcome(write)))")
            return
        }
        #expect(value == .siblings(["red"], includesDeletion: false))
        #expect(!version.isEmpty)
        let read = cluster.request(key, .get, at: cluster.nonReplica(key)!)
        #expect(cluster.outcome(read) == .read(.siblings(["red"], includesDeletion: false), context: version))
        for replica in cluster.replicas(key) {
            #expect(cluster.nodes[replica]!.objects[key] != nil, "every replica got the write")
        }
    }

    @Test func blindConcurrentWritesBecomeSiblingsAndAContextResolvesThem() {
        var cluster = TestCluster(members: Self.members)
        let key: ByteString = "cart"
        let replicas = cluster.replicas(key)
        cluster.request(key, .put("milk"), at: replicas[0])
        cluster.request(key, .put("eggs"), at: replicas[1])
        let read = cluster.request(key, .get, at: replicas[2])
        guard case .read(.siblings(let values, _), let context)? = cluster.outcome(read) else {
            Issue.record("expected siblings: \(String(describing: cluster.outcome(read)))")
            return
        }
        #expect(Set(values) == ["milk", "eggs"])
        cluster.request(key, .put("milk+eggs", context: .provided(context)), at: replicas[2])
        let again = cluster.request(key, .get, at: replicas[0])
        #expect(cluster.outcome(again)?.readValue == .siblings(["milk+eggs"], includesDeletion: false))
    }

    @Test func aWriteReceivedByANonReplicaIsForwardedToOne() {
        var cluster = TestCluster(members: Self.members)
        let key: ByteString = "forwarded"
        let outsider = cluster.nonReplica(key)!
        let write = cluster.request(key, .put("v"), at: outsider)
        #expect(cluster.outcome(write)?.isFailure == false)
        #expect(cluster.nodes[outsider]!.objects[key] == nil)
        #expect(cluster.delivered.contains { if case .forward = $0 { true } else { false } })
    }

    @Test func aStrictQuorumFailsWithTwoReplicasDownAndASloppyOneHintsAndHandsBack() {
        var cluster = TestCluster(members: Self.members)
        let key: ByteString = "sloppy"
        let replicas = cluster.replicas(key)
        cluster.down = [replicas[1], replicas[2]]
        let strict = cluster.request(key, .put("strict"), at: replicas[0], consistency: RequestConsistency(sloppy: false))
        cluster.tick(30)
        #expect(cluster.outcome(strict) == .failed(.unavailable(answered: 1, required: 2)))
        let sloppy = cluster.request(key, .put("sloppy"), at: replicas[0], consistency: RequestConsistency(sloppy: true))
        cluster.tick(5)
        #expect(cluster.outcome(sloppy)?.isFailure == false, "\(String(describing: cluster.outcome(sloppy)))")
        let holders = Self.members.filter { !replicas.contains($0) && !(cluster.nodes[$0]!.hints.isEmpty) }
        #expect(!holders.isEmpty, "a fallback holds a hint")
        cluster.down = []
        cluster.tick(20)
        for replica in replicas {
            #expect(cluster.nodes[replica]!.objects[key]?.readValue.values.contains("sloppy") == true)
        }
        for member in Self.members { #expect(cluster.nodes[member]!.hints.isEmpty, "hints delivered and dropped") }
    }

    /// A cluster without anti-entropy where `key` holds "new" on its first
    /// two replicas and nothing on the third, which was down for the write.
    private func clusterWithAStaleThirdReplica(
        _ key: ByteString, readsAskEveryReplica: Bool = false
    ) -> (cluster: TestCluster, replicas: [MemberID]) {
        var settings = TestCluster.defaultSettings
        settings.antiEntropyIntervalTicks = 10_000
        settings.readsAskEveryReplica = readsAskEveryReplica
        var cluster = TestCluster(members: Self.members, settings: settings)
        let replicas = cluster.replicas(key)
        cluster.down = [replicas[2]]
        cluster.request(key, .put("new"), at: replicas[0], consistency: RequestConsistency(sloppy: false))
        cluster.down = []
        return (cluster, replicas)
    }

    @Test func readRepairBringsAStaleReplicaUpToDate() {
        let key: ByteString = "repair"
        let stale = clusterWithAStaleThirdReplica(key)
        var cluster = stale.cluster
        let replicas = stale.replicas
        #expect(cluster.nodes[replicas[2]]!.objects[key] == nil)
        cluster.request(key, .get, at: replicas[0], consistency: .all)
        cluster.tick(10)
        #expect(cluster.nodes[replicas[2]]!.objects[key]?.readValue == .siblings(["new"], includesDeletion: false))
        #expect(cluster.nodes[replicas[0]]!.statistics.readRepairs >= 1)
    }

    @Test func aReadAtROneAtAReplicaIsAnsweredFromItsOwnCopyWithoutAMessage() {
        let key: ByteString = "local"
        let stale = clusterWithAStaleThirdReplica(key)
        var cluster = stale.cluster
        let replicas = stale.replicas
        cluster.delivered = []
        let read = cluster.request(key, .get, at: replicas[0], consistency: .one)
        #expect(cluster.outcome(read)?.readValue == .siblings(["new"], includesDeletion: false))
        cluster.tick(10)
        #expect(cluster.delivered.isEmpty, "no replica asked: \(cluster.delivered)")
        #expect(cluster.nodes[replicas[2]]!.objects[key] == nil, "nor repaired by the read")
        // A write at W = 1 with an overwrite's read phase reads only here
        // too: what travels is the write and its acknowledgements.
        cluster.request(key, .put("newer", context: .current), at: replicas[0], consistency: .one)
        #expect(!cluster.delivered.isEmpty)
        for message in cluster.delivered {
            if case .read = message { Issue.record("a read phase at R = 1 asked another replica: \(message)") }
        }
        // Riak's way, kept as a setting: the other replicas are asked and
        // the stale one repaired.
        var riak = clusterWithAStaleThirdReplica(key, readsAskEveryReplica: true).cluster
        let riakRead = riak.request(key, .get, at: replicas[0], consistency: .one)
        #expect(riak.outcome(riakRead)?.readValue == .siblings(["new"], includesDeletion: false))
        riak.tick(10)
        #expect(riak.nodes[replicas[2]]!.objects[key]?.readValue == .siblings(["new"], includesDeletion: false))
    }

    @Test func aQuorumReadAsksRReplicasAndTheThirdOnlyWhenOneIsSilent() {
        var cluster = TestCluster(members: Self.members)
        let key: ByteString = "quorum"
        let replicas = cluster.replicas(key)
        cluster.request(key, .put("v"), at: replicas[0], consistency: .all)
        func reads(_ cluster: TestCluster) -> [DynamoMessage] {
            cluster.delivered.filter { if case .read = $0 { true } else { false } }
        }
        cluster.delivered = []
        let first = cluster.request(key, .get, at: replicas[0], consistency: .quorum)
        #expect(cluster.outcome(first)?.readValue == .siblings(["v"], includesDeletion: false))
        #expect(reads(cluster).count == 1, "one other replica asked: \(cluster.delivered)")
        // The replica asked is down: the read waits for the escalation
        // time, then asks the third.
        cluster.down = [replicas[1]]
        cluster.delivered = []
        let second = cluster.request(key, .get, at: replicas[0], consistency: .quorum)
        #expect(cluster.outcome(second) == nil)
        cluster.tick(TestCluster.defaultSettings.escalationTicks)
        #expect(cluster.outcome(second)?.readValue == .siblings(["v"], includesDeletion: false))
        // Now suspected, the silent replica is passed over at once.
        let third = cluster.request(key, .get, at: replicas[0], consistency: .quorum)
        #expect(cluster.outcome(third)?.readValue == .siblings(["v"], includesDeletion: false))
    }

    @Test func aReadAtROneAtAReplicaBehindTheSessionAsksTheOtherReplicasAtOnce() {
        var cluster = TestCluster(members: [1, 2, 3])
        let key: ByteString = "behind"
        cluster.cut = [[1, 2]]
        let write = cluster.request(key, .put("mine"), at: 1, consistency: .one, session: SessionToken())
        let token = cluster.replies[write]!.session!
        cluster.cut = []
        // Member 2 missed the write; member 3 has it. No tick passes: the
        // read is answered by asking at once, not on escalation.
        #expect(cluster.nodes[2]!.objects[key] == nil)
        let read = cluster.request(key, .get, at: 2, consistency: .one, session: token)
        #expect(cluster.outcome(read)?.readValue == .siblings(["mine"], includesDeletion: false))
    }

    @Test func antiEntropyRepairsWhatNoReadTouchedExchangingOnlyDifferingLeaves() {
        var settings = TestCluster.defaultSettings
        settings.antiEntropyIntervalTicks = 1
        var cluster = TestCluster(members: [1, 2, 3], settings: settings)
        for index in 0..<60 {
            cluster.request(ByteString("k\(index)"), .put(ByteString("v\(index)")), at: 1, consistency: .all)
        }
        cluster.down = [3]
        cluster.request("late", .put("missed"), at: 1, consistency: RequestConsistency(read: .one, write: .one, sloppy: false))
        cluster.tick(3)
        cluster.down = []
        cluster.delivered = []
        cluster.tick(60)
        #expect(cluster.nodes[3]!.objects["late"]?.readValue == .siblings(["missed"], includesDeletion: false))
        let exchanged = cluster.delivered.reduce(0) { total, message in
            if case .treeObjects(_, _, _, let objects, _) = message { return total + objects.count }
            return total
        }
        #expect(exchanged > 0 && exchanged < 20, "only the differing leaves' keys travel (\(exchanged) copies)")
    }

    @Test func aSessionReadAtROneWaitsForAReplicaThatHasTheSessionsWrite() {
        var cluster = TestCluster(members: [1, 2, 3])
        let key: ByteString = "session"
        cluster.cut = [[1, 2], [1, 3]]
        let write = cluster.request(key, .put("mine"), at: 1, consistency: .one, session: SessionToken())
        let token = cluster.replies[write]!.session!
        #expect(cluster.outcome(write)?.isFailure == false)
        // Without the token, member 2 answers at once from its own, stale copy.
        let blind = cluster.request(key, .get, at: 2, consistency: .one)
        #expect(cluster.outcome(blind)?.readValue == .absent)
        let withToken = cluster.request(key, .get, at: 2, consistency: .one, session: token)
        #expect(cluster.outcome(withToken) == nil, "the read waits rather than go back")
        cluster.cut = []
        cluster.tick(5)
        #expect(cluster.outcome(withToken)?.readValue == .siblings(["mine"], includesDeletion: false))
    }

    @Test func aTombstoneIsCollectedOnlyOnceEveryMemberHasIt() {
        var settings = TestCluster.defaultSettings
        settings.tombstoneAgeTicksMin = 2
        settings.reapGraceTicks = 3
        var cluster = TestCluster(members: [1, 2, 3, 4], settings: settings)
        let key: ByteString = "gone"
        let replicas = cluster.replicas(key)
        let write = cluster.request(key, .put("v"), at: replicas[0], consistency: .all)
        let context = cluster.outcome(write)!.context!
        let outsider = cluster.nonReplica(key)!
        cluster.down = [outsider]
        cluster.request(key, .delete(context: .provided(context)), at: replicas[0], consistency: .all)
        cluster.tick(40)
        #expect(cluster.nodes[replicas[0]]!.objects[key]?.isTombstone == true, "kept while a member cannot vote")
        cluster.down = []
        cluster.tick(40)
        for replica in replicas { #expect(cluster.nodes[replica]!.objects[key] == nil) }
        #expect(cluster.nodes[replicas[0]]!.statistics.tombstonesCollected == 1)
    }

    @Test func aCausalWriteStaysHiddenUntilItsDependencyIsVisibleAtEveryReplica() {
        var cluster = TestCluster(members: [1, 2, 3])
        let causal = RequestConsistency(read: .one, write: .one, causal: true)
        // The dependency reaches only member 1.
        cluster.cut = [[1, 2], [1, 3]]
        let first = cluster.request("photo", .put("p"), at: 1, consistency: causal, session: SessionToken())
        let token = cluster.replies[first]!.session!
        cluster.cut = [[1, 2], [1, 3], [2, 1], [3, 1]]
        let second = cluster.request("album", .put("a"), at: 2, consistency: causal, session: token)
        #expect(cluster.outcome(second)?.isFailure == false)
        cluster.tick(4)
        #expect(cluster.nodes[2]!.objects["album"] == nil, "pending until photo is visible everywhere")
        #expect(cluster.nodes[2]!.pending["album"]?.count == 1)
        // The writer's own session still reads its write.
        let own = cluster.request("album", .get, at: 2, consistency: RequestConsistency(read: .one, write: .one, causal: true),
                                  session: cluster.replies[second]!.session!)
        #expect(cluster.outcome(own)?.readValue == .siblings(["a"], includesDeletion: false))
        cluster.cut = []
        cluster.tick(30)
        #expect(cluster.nodes[2]!.objects["album"]?.readValue == .siblings(["a"], includesDeletion: false))
        #expect(cluster.nodes[2]!.pending.isEmpty)
    }

    @Test func aJoiningMemberReceivesTheKeysItNowReplicatesAndTheOldOwnersDropThem() {
        var cluster = TestCluster(members: [1, 2, 3, 4])
        let keys = (0..<40).map { ByteString("j\($0)") }
        for key in keys { cluster.request(key, .put("v"), at: cluster.replicas(key)[0], consistency: .all) }
        let before = cluster.ring
        cluster.changeRing([1, 2, 3, 4, 5])
        cluster.tick(20)
        var moved = 0
        for key in keys {
            let now = cluster.ring.replicas(of: key, count: 3)
            let old = before.replicas(of: key, count: 3)
            for member in [MemberID](arrayLiteral: 1, 2, 3, 4, 5) {
                let holds = cluster.nodes[member]!.objects[key] != nil
                #expect(holds == now.contains(member), "\(key) at \(member)")
            }
            if Set(now) != Set(old) { moved += 1 }
        }
        #expect(moved > 0 && moved < keys.count)
        for member in [MemberID](arrayLiteral: 1, 2, 3, 4, 5) { #expect(cluster.nodes[member]!.hints.isEmpty) }
    }

    @Test func crdtUpdatesMergeOnTheServer() {
        var cluster = TestCluster(members: Self.members)
        let replicas = cluster.replicas("visits")
        cluster.request("visits", .update(.increment(2)), at: replicas[0], consistency: .one)
        cluster.request("visits", .update(.increment(3)), at: replicas[1], consistency: .one)
        cluster.request("visits", .update(.increment(-1)), at: replicas[2], consistency: .one)
        let read = cluster.request("visits", .get, at: replicas[0], consistency: .all)
        #expect(cluster.outcome(read)?.readValue == .counter(4))
        cluster.request("tags", .update(.addToSet(["a", "b"])), at: replicas[0])
        cluster.request("tags", .update(.removeFromSet(["a"])), at: replicas[1])
        cluster.request("tags", .update(.addToSet(["c"])), at: replicas[2])
        let outcome1 = cluster.result("tags", .get, at: replicas[0], consistency: .all)
        #expect(outcome1?.readValue == .set(["b", "c"]))
        cluster.request("user", .update(.setFields([MapField(field: "name", values: ["ada"])])), at: replicas[0])
        let outcome2 = cluster.result("user", .get, at: replicas[1])
        #expect(outcome2?.readValue
            == .map([MapField(field: "name", values: ["ada"])]))
        cluster.request("on", .update(.enable), at: replicas[0])
        let outcome3 = cluster.result("on", .get, at: replicas[1])
        #expect(outcome3?.readValue == .flag(true))
        let replacing = cluster.request("visits", .put("text"), at: replicas[0])
        #expect(cluster.outcome(replacing)?.readValue == .siblings(["text"], includesDeletion: false), "a put replaces a counter")
    }

    @Test func lastWriterWinsKeepsTheGreatestTimestamp() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("lww", .put("first", mode: .lastWriterWins), at: 1)
        cluster.now += 1_000
        cluster.request("lww", .put("second", mode: .lastWriterWins), at: 2)
        let outcome4 = cluster.result("lww", .get, at: 3, consistency: .all)
        #expect(outcome4?.readValue == .value("second"))
    }

    @Test func conditionalPutsCheckTheQuorumFirst() {
        var cluster = TestCluster(members: [1, 2, 3])
        let first = cluster.request("nx", .put("a", condition: .ifAbsent), at: 1)
        #expect(cluster.outcome(first)?.isFailure == false)
        let second = cluster.request("nx", .put("b", condition: .ifAbsent), at: 2)
        #expect(cluster.outcome(second) == .conditionNotMet(.siblings(["a"], includesDeletion: false)))
        let overwrite = cluster.request("nx", .put("c", context: .current), at: 3)
        #expect(cluster.outcome(overwrite)?.readValue == .siblings(["c"], includesDeletion: false))
    }

    @Test func badRequestsAreRefusedAndChangeNothing() {
        var cluster = TestCluster(members: [1, 2, 3])
        let bad = cluster.request("k", .put("v"), at: 1, consistency: RequestConsistency(read: .count(5), write: .one))
        #expect(cluster.outcome(bad)?.isFailure == true)
        let causal = cluster.request("k", .put("v"), at: 1, consistency: RequestConsistency(causal: true))
        #expect(cluster.outcome(causal) == .failed(.invalidRequest("causal mode needs a session token")))
        let long = cluster.request(ByteString([UInt8](repeating: 1, count: DynamoNode.keyBytesMax + 1)), .get, at: 1)
        #expect(cluster.outcome(long)?.isFailure == true)
        let empty = cluster.request("k", .update(.addToSet([])), at: 1)
        #expect(cluster.outcome(empty)?.isFailure == true)
        for member in [MemberID](arrayLiteral: 1, 2, 3) { #expect(cluster.nodes[member]!.objects.isEmpty) }
    }

    @Test func everyStartAndEveryDroppedCopyMovesToAFreshActor() {
        var cluster = TestCluster(members: [1, 2, 3, 4])
        #expect(cluster.nodes[1]!.actorEpoch == 1)
        cluster.restart(1)
        #expect(cluster.nodes[1]!.actorEpoch == 2, "the restart's epoch follows the durable one")
        let keys = (0..<40).map { ByteString("e\($0)") }
        for key in keys { cluster.request(key, .put("v"), at: cluster.replicas(key)[0], consistency: .all) }
        let before = cluster.ring
        cluster.changeRing([1, 2, 3, 4, 5])
        cluster.tick(20)
        // A member that no longer replicates some of its keys, and one it keeps.
        let loser = [MemberID](arrayLiteral: 1, 2, 3, 4).first { member in
            keys.contains { before.replicas(of: $0, count: 3).contains(member) && !cluster.replicas($0).contains(member) }
        }!
        let kept = keys.first { cluster.replicas($0).contains(loser) }!
        let epoch = cluster.nodes[loser]!.actorEpoch
        cluster.request(kept, .put("w"), at: loser)
        #expect(cluster.nodes[loser]!.actorEpoch == epoch + 1, "a dot minted after a drop comes from a new epoch")
        cluster.request(kept, .put("x"), at: loser)
        #expect(cluster.nodes[loser]!.actorEpoch == epoch + 1, "and only once")
    }

    /// The ordering contract: an acknowledgement leaves in the same output
    /// as the record that makes the copy durable, never before it.
    @Test func acknowledgementsTravelWithTheirRecords() {
        var node = DynamoNode(member: 2, ring: try! Ring(members: [1, 2, 3], virtualNodesPerMember: 2), settings: DynamoSettings(), stored: nil, seed: 1)
        _ = node.start(now: 0)
        var siblings = Siblings()
        siblings.write("v", context: VersionVector(), at: Actor.replica(member: 1, epoch: 1))
        let key = (0..<100).map { ByteString("k\($0)") }.first { node.ring.replicas(of: $0, count: 3).contains(2) }!
        let output = node.onMessage(
            .replicate(ReplicaWrite(operation: 9, key: key, object: .siblings(siblings), hintFor: nil, dependencies: [])), from: 1, now: 0)
        #expect(output.records == [.object(KeyedObject(key: key, object: .siblings(siblings)))])
        #expect(output.messages == [Envelope(to: 1, message: .replicateAck(operation: 9))])
    }
}
