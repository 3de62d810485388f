import ConcordDynamo
import ConcordFoundation
import Testing

/// Puts that replace a key of another kind, as Redis's `SET` does: a new
/// generation of the key (``StoredObject/generation``).
@Suite struct ReplacementTests {
    @Test func aPutReplacesACounterASetAndAMapAndEveryReplicaAgrees() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("c", .update(.increment(5)), at: 1)
        cluster.request("s", .update(.addToSet(["a"])), at: 2)
        cluster.request("h", .update(.setFields([MapField(field: "f", values: ["v"])])), at: 3)
        for (key, member, reader) in [("c", 2, 3), ("s", 3, 1), ("h", 1, 2)] as [(ByteString, MemberID, MemberID)] {
            let put = cluster.request(key, .put("text", context: .current), at: member)
            #expect(cluster.outcome(put)?.readValue == .siblings(["text"], includesDeletion: false), "\(key)")
            let read = cluster.request(key, .get, at: reader, consistency: .all)
            #expect(cluster.outcome(read)?.readValue == .siblings(["text"], includesDeletion: false), "\(key)")
            for replica: MemberID in [1, 2, 3] {
                #expect(cluster.nodes[replica]!.objects[key]?.generation == 1, "\(key) at \(replica)")
                #expect(cluster.nodes[replica]!.objects[key] == cluster.nodes[1]!.objects[key])
            }
        }
        // The new string is a string: an increment continues from it.
        cluster.request("c", .put("7", context: .current), at: 3)
        let increment = cluster.request("c", .update(.increment(1)), at: 1)
        #expect(cluster.outcome(increment)?.readValue == .counter(8))
        #expect(cluster.nodes[1]!.objects["c"]?.generation == 1, "an update keeps the generation")
    }

    @Test func aDeletedSetOrMapTakesAString() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("s", .update(.addToSet(["a"])), at: 1)
        cluster.request("s", .delete(context: .current), at: 2)
        let put = cluster.request("s", .put("v", context: .current), at: 3)
        #expect(cluster.outcome(put)?.isFailure == false, "\(String(describing: cluster.outcome(put)))")
        let read = cluster.request("s", .get, at: 1, consistency: .all)
        #expect(cluster.outcome(read)?.readValue == .siblings(["v"], includesDeletion: false))
    }

    /// Replace wins: an increment made on a copy of the old generation (its
    /// coordinator had not seen the put) is replaced with it once the
    /// copies meet, on every replica.
    @Test func anUpdateOfTheOldGenerationIsReplacedWithIt() {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("c", .update(.increment(5)), at: 1, consistency: .all)
        cluster.cut = [[1, 3], [3, 1], [2, 3], [3, 2]]
        cluster.request("c", .put("text", context: .current), at: 1)  // members 1 and 2
        let stale = cluster.request("c", .update(.increment(1)), at: 3, consistency: .one)
        #expect(cluster.outcome(stale)?.readValue == .counter(6))
        cluster.cut = []
        cluster.tick(40)
        for member: MemberID in [1, 2, 3] {
            #expect(cluster.nodes[member]!.objects["c"]?.readValue == .siblings(["text"], includesDeletion: false), "at \(member)")
        }
    }

    /// Merging copies of two generations is a join: commutative,
    /// associative and idempotent, the later generation's value whole.
    @Test func mergingGenerationsIsAJoin() {
        var counter = TestCluster(members: [1, 2, 3])
        counter.request("k", .update(.increment(2)), at: 1, consistency: .all)
        let old = counter.nodes[1]!.objects["k"]!
        counter.request("k", .put("a", context: .current), at: 2, consistency: .all)
        let replaced = counter.nodes[2]!.objects["k"]!
        counter.request("k", .put("b"), at: 3, consistency: .one)
        let sibling = counter.nodes[3]!.objects["k"]!
        #expect(replaced.generation == 1 && sibling.generation == 1 && old.generation == 0)
        let objects = [old, replaced, sibling]
        for a in objects {
            #expect(a.merging(a) == a)
            for b in objects {
                #expect(a.merging(b) == b.merging(a))
                for c in objects { #expect(a.merging(b).merging(c) == a.merging(b.merging(c))) }
            }
        }
        #expect(old.merging(replaced) == replaced, "the later generation whole")
    }

    /// A copy's generation survives its binary form; a copy of generation
    /// 0 is written exactly as before generations existed.
    @Test func theGenerationRoundTripsAndGenerationZeroIsWrittenAsBefore() throws {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.request("k", .update(.addToSet(["x"])), at: 1, consistency: .all)
        let before = cluster.nodes[1]!.objects["k"]!
        var writer = BinaryWriter()
        before.encode(to: &writer)
        #expect(writer.bytes[0] == ObjectKind.set.rawValue, "no generation flag")
        cluster.request("k", .put("v", context: .current), at: 1, consistency: .all)
        let after = cluster.nodes[1]!.objects["k"]!
        var second = BinaryWriter()
        after.encode(to: &second)
        #expect(second.bytes[0] & StoredObject.hasGenerationFlag != 0)
        var reader = BinaryReader(second.bytes)
        #expect(try StoredObject(from: &reader) == after)
        #expect(after.digest != StoredObject(after.value, expiry: after.expiry).digest, "the digest covers the generation")
    }
}
