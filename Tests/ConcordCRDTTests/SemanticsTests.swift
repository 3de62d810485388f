import ConcordFoundation
import ConcordClocks
import Testing

@testable import ConcordCRDT

@Suite struct SemanticsTests {
    @Test func orSetAddWinsOverAConcurrentRemove() {
        var a = ORSet<String>()
        a.insert("x", at: 1)
        var b = a
        a.remove("x")
        b.insert("x", at: 2)  // concurrent with the remove
        #expect(a.merging(b).elements == ["x"])
        #expect(b.merging(a).elements == ["x"])
    }

    @Test func orSetRemoveWinsOverWhatItObserved() {
        var a = ORSet<String>()
        a.insert("x", at: 1)
        a.insert("x", at: 1)
        var b = a
        b.remove("x")
        #expect(a.merging(b).elements.isEmpty)
    }

    @Test func orSetKeepsNoTombstones() {
        var a = ORSet<Int>()
        var deltas: [ORSet<Int>] = []
        for element in 0..<100 {
            deltas.append(a.insert(element, at: 1))
        }
        for element in 0..<100 {
            deltas.append(a.remove(element))
        }
        // All that is left of 100 adds and removes is one version vector
        // entry: 5 bytes (entry count, replica, counter, empty cloud, empty store).
        #expect(a.elements.isEmpty)
        #expect(a.context == CausalContext(versionVector: VersionVector([1: 100])))
        #expect(a.store.isEmpty)
        #expect(a.binaryEncoded().count == 5)
        // Deltas arriving backwards leave a dot cloud until the gaps fill,
        // then end in the same compact state.
        var b = ORSet<Int>()
        for delta in deltas.reversed() {
            b.merge(delta)
        }
        #expect(b == a)
        #expect(b.context.dotCloud.isEmpty)
    }

    @Test func causalContextCompactsWhenGapsFill() {
        var context = CausalContext()
        context.insert(Dot(replica: 1, counter: 2))
        context.insert(Dot(replica: 1, counter: 3))
        #expect(context.dotCloud.count == 2)
        #expect(context.nextDot(for: 1) == Dot(replica: 1, counter: 4))
        context.insert(Dot(replica: 1, counter: 1))
        #expect(context.dotCloud.isEmpty)
        #expect(context.versionVector[1] == 3)
    }

    @Test func mvRegisterKeepsConcurrentWritesAndAWriteThatSawThemReplacesThem() {
        var a = MVRegister<String>()
        var b = MVRegister<String>()
        a.assign("red", at: 1)
        b.assign("blue", at: 2)
        a.merge(b)
        #expect(a.values == ["red", "blue"])
        a.assign("purple", at: 1)
        b.merge(a)
        #expect(b.values == ["purple"])
    }

    @Test func orMapUpdateWinsOverAConcurrentRemove() {
        var a = ORMap<String, ORSet<String>>()
        a.update("cart") { $0.insert("apple", at: 1) }
        var b = a
        a.remove("cart")
        b.update("cart") { $0.insert("pear", at: 2) }
        let merged = a.merging(b)
        // The key survives with the concurrent update; the observed apple is gone.
        #expect(merged.keys == ["cart"])
        #expect(merged["cart"]?.elements == ["pear"])
        #expect(b.merging(a) == merged)
    }

    @Test func orMapRemoveOfAnObservedKeyRemovesIt() {
        var a = ORMap<String, MVRegister<Int>>()
        a.update("x") { $0.assign(1, at: 1) }
        var b = a
        b.remove("x")
        #expect(a.merging(b).keys.isEmpty)
        #expect(a.merging(b)["x"] == nil)
    }

    @Test func lwwRegisterBreaksEqualTimestampsByReplica() {
        let stamp = HybridTimestamp(wallNanoseconds: 5, logical: 0)
        var a = LWWRegister<String>()
        var b = LWWRegister<String>()
        a.assign("from 1", timestamp: stamp, at: 1)
        b.assign("from 2", timestamp: stamp, at: 2)
        #expect(a.merging(b).value == "from 2")
        #expect(b.merging(a).value == "from 2")
    }

    @Test func lwwMapRemoveIsATombstoneOrderedLikeAnyWrite() {
        var map = LWWMap<String, Int>()
        map.set("k", to: 1, timestamp: .init(wallNanoseconds: 10), at: 1)
        map.remove("k", timestamp: .init(wallNanoseconds: 20), at: 2)
        let latePut = LWWMap<String, Int>().merging({
            var late = LWWMap<String, Int>()
            late.set("k", to: 7, timestamp: .init(wallNanoseconds: 15), at: 3)
            return late
        }())
        map.merge(latePut)
        #expect(map["k"] == nil)
        #expect(map.values.isEmpty)
    }

    @Test func twoPhaseSetNeverReaddsARemovedElement() {
        var set = TwoPhaseSet<Int>()
        set.insert(1)
        set.remove(1)
        set.insert(1)
        #expect(!set.contains(1))
        #expect(set.remove(2) == TwoPhaseSet())  // removing an absent element does nothing
    }

    @Test func malformedCRDTEncodingsAreRejected() {
        // A store dot outside the context: context empty, one element 7 with dot (1,1).
        var writer = BinaryWriter()
        CausalContext().encode(to: &writer)
        DotMap<Int, DotSet>([7: DotSet([Dot(replica: 1, counter: 1)])]).encode(to: &writer)
        #expect(throws: BinaryDecodingError.self) { try ORSet<Int>(binaryEncoded: writer.bytes) }
        // Repeated set element.
        #expect(throws: BinaryDecodingError.self) { try GSet<Int>(binaryEncoded: [2, 2, 2]) }
        // A zero counter entry.
        #expect(throws: BinaryDecodingError.self) { try GCounter(binaryEncoded: [1, 1, 0]) }
        // An LWW map key without a write.
        #expect(throws: BinaryDecodingError.self) { try LWWMap<Int, Int>(binaryEncoded: [1, 2, 0]) }
    }
}
