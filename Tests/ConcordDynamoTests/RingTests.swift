import ConcordDynamo
import Testing

@Suite struct RingTests {
    static let keys = (0..<2_000).map { ByteString("key-\($0)") }

    @Test func preferenceListNamesEveryMemberOnceInWalkOrder() throws {
        let ring = try Ring(members: [5, 1, 3, 2, 4], virtualNodesPerMember: 8)
        #expect(ring.members == [1, 2, 3, 4, 5])
        for key in Self.keys.prefix(200) {
            let list = ring.preferenceList(for: key)
            #expect(Set(list) == Set(ring.members))
            #expect(list.count == 5)
            #expect(ring.arc(containing: key).contains(Hashing.position(of: key)))
        }
    }

    @Test func arcsCoverTheCircleExactlyOnce() throws {
        let ring = try Ring(members: [1, 2, 3], virtualNodesPerMember: 4)
        for key in Self.keys.prefix(500) {
            let position = Hashing.position(of: key)
            #expect(ring.arcs.filter { $0.contains(position) }.count == 1)
        }
        let single = try Ring(members: [7], virtualNodesPerMember: 1)
        #expect(single.arcs.count == 1 && single.arcs[0].contains(0) && single.arcs[0].contains(.max))
    }

    /// Dynamo §4.2: adding a member moves only the keys whose replica set
    /// now includes it, about N / (M + 1) of them, each from exactly one
    /// member that no longer replicates it.
    @Test func aJoiningMemberTakesOnlyWhatMustMove() throws {
        let before = try Ring(members: [1, 2, 3, 4, 5], virtualNodesPerMember: 32)
        let after = try Ring(members: [1, 2, 3, 4, 5, 6], virtualNodesPerMember: 32)
        var moved = 0
        for key in Self.keys {
            let old = Set(before.replicas(of: key, count: 3))
            let new = Set(after.replicas(of: key, count: 3))
            guard old != new else { continue }
            moved += 1
            #expect(new.subtracting(old) == [6])
            #expect(old.subtracting(new).count == 1)
        }
        let fraction = Double(moved) / Double(Self.keys.count)
        #expect(fraction > 0.3 && fraction < 0.7, "moved \(moved) of \(Self.keys.count); expected about 3/6")
        let transfers = Ring.transfers(from: before, to: after, replicas: 3)
        #expect(!transfers.isEmpty)
        for transfer in transfers {
            #expect(transfer.joining == [6])
            #expect(transfer.leaving.count == 1)
        }
        // The transfers list exactly the keys that moved.
        let listed = Self.keys.filter { key in transfers.contains { $0.contains(Hashing.position(of: key)) } }.count
        #expect(listed == moved)
    }

    @Test func badRingsAreRefused() {
        #expect(throws: RingError.duplicateMember(2)) { try Ring(members: [1, 2, 2], virtualNodesPerMember: 4) }
        #expect(throws: RingError.virtualNodesOutOfRange(0)) { try Ring(members: [1], virtualNodesPerMember: 0) }
        #expect(throws: RingError.virtualNodesOutOfRange(257)) { try Ring(members: [1], virtualNodesPerMember: 257) }
    }

    @Test func actorsOfOneMemberDifferByEpochAndDifferAcrossMembers() {
        let first = Actor.replica(member: 1, epoch: 1)
        #expect(first != Actor.replica(member: 1, epoch: 2))
        #expect(first != Actor.replica(member: 2, epoch: 1))
    }

    @Test func consistencyLevelsResolveAgainstTheRing() throws {
        let quorum = try RequestConsistency.quorum.resolved(replicationFactor: 3, ringSize: 5)
        #expect(quorum.replicas == 3 && quorum.reads == 2 && quorum.writes == 2 && quorum.sloppy)
        let all = try RequestConsistency(replicas: 2, read: .all, write: .one).resolved(replicationFactor: 3, ringSize: 5)
        #expect(all.reads == 2 && all.writes == 1)
        let causal = try RequestConsistency(read: .one, write: .one, sloppy: true, causal: true).resolved(replicationFactor: 3, ringSize: 5)
        #expect(!causal.sloppy, "causal mode never uses fallbacks")
        #expect(throws: DynamoRequestError.self) {
            try RequestConsistency(read: .count(4), write: .one).resolved(replicationFactor: 3, ringSize: 5)
        }
        #expect(throws: DynamoRequestError.self) {
            try RequestConsistency(replicas: 4).resolved(replicationFactor: 3, ringSize: 5)
        }
        #expect(throws: DynamoRequestError.self) {
            try RequestConsistency(read: .count(0), write: .one).resolved(replicationFactor: 3, ringSize: 5)
        }
    }
}
