import PropertyBased
import Testing

@testable import ConcordClocks

@Suite struct SiblingSetTests {
    @Test func writesFromTheSameContextBecomeSiblings() {
        var key = SiblingSet<String>()
        let empty = key.read().context
        key.write("alice", context: empty, at: 1)
        key.write("bob", context: empty, at: 1)
        // Both clients read nothing: neither saw the other, so both stay,
        // although the server is the same (a plain version vector would have
        // ordered them).
        #expect(Set(key.read().values) == ["alice", "bob"])
    }

    @Test func aWriteThatReadTheSiblingsReplacesThem() {
        var key = SiblingSet<String>()
        key.write("alice", context: VersionVector(), at: 1)
        key.write("bob", context: VersionVector(), at: 1)
        let read = key.read()
        key.write("carol", context: read.context, at: 1)
        #expect(key.read().values == ["carol"])
    }

    @Test func aStaleWriteDiscardsOnlyWhatItSaw() {
        var key = SiblingSet<String>()
        key.write("v1", context: VersionVector(), at: 1)
        let stale = key.read().context
        key.write("v2", context: stale, at: 1)  // replaces v1
        key.write("v3", context: stale, at: 1)  // saw v1, not v2: sibling of v2
        #expect(key.read().values == ["v2", "v3"])
    }

    @Test func replicasReconcileKeepingConcurrentAndDroppingObsolete() {
        var a = SiblingSet<String>()
        a.write("x", context: VersionVector(), at: 1)
        var b = a
        // a overwrites x; b concurrently writes y having seen x.
        a.write("x2", context: a.read().context, at: 1)
        b.write("y", context: b.read().context, at: 2)
        var merged = a
        merged.merge(b)
        #expect(merged.read().values == ["x2", "y"])
        var other = b
        other.merge(a)
        #expect(other == merged)
        // A client that read both resolves the conflict everywhere.
        merged.write("z", context: merged.read().context, at: 2)
        a.merge(merged)
        #expect(a.read().values == ["z"])
    }

    /// Random writes at three servers with random (possibly stale)
    /// contexts, and random reconciliations; afterwards everyone reconciles.
    @Test func reconciliationConvergesAndIsOrderInsensitive() async {
        let steps = zip(Gen.int(in: 0...2), Gen.int(in: 0...3), Gen.int(in: 0...2)).array(of: 0...40)
        await propertyCheck(count: 200, input: steps) { steps in
            var servers = Array(repeating: SiblingSet<Int>(), count: 3)
            var contexts: [VersionVector] = [VersionVector()]
            for (index, (server, action, other)) in steps.enumerated() {
                switch action {
                case 0: contexts.append(servers[server].read().context)
                case 1, 2:
                    servers[server].write(index, context: contexts[index % contexts.count], at: ReplicaID(UInt64(server)))
                default: servers[server].merge(servers[other])
                }
                // Invariant: no sibling's dot is covered by another sibling.
                for sibling in servers[server].siblings {
                    let others = servers[server].siblings.filter { $0.clock.dot != sibling.clock.dot }
                    #expect(!others.contains { $0.clock.contains(sibling.clock.dot) })
                }
            }
            var forward = servers[0]
            forward.merge(servers[1])
            forward.merge(servers[2])
            var backward = servers[2]
            backward.merge(servers[1])
            backward.merge(servers[0])
            #expect(forward == backward)
            var again = forward
            again.merge(forward)
            #expect(again == forward)
        }
    }
}
