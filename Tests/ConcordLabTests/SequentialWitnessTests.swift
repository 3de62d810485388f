import ConcordKV
import Testing

@testable import ConcordLab

/// The witness check accepts a history that follows the store's order and
/// refuses each way a history can leave it.
@Suite struct SequentialWitnessTests {
    /// A store with k0=a at revision 2, k0=b at 3, k1=x at 4, k0 deleted at 5.
    static func store() throws -> MVCCStore {
        var store = MVCCStore()
        for (key, value) in [("k0", "a"), ("k0", "b"), ("k1", "x")] {
            _ = try store.apply(.put(PutRequest(key: Array(key.utf8), value: Array(value.utf8))))
        }
        _ = try store.apply(.deleteRange(DeleteRangeRequest(key: Array("k0".utf8))))
        return store
    }

    typealias Observation = SequentialWitness.Observation

    static func get(_ key: String, _ value: String?, at revision: Int64) -> Observation {
        Observation(function: .get, key: key, outcome: .read(value), revision: revision)
    }

    static func put(_ key: String, _ value: String, at revision: Int64) -> Observation {
        Observation(function: .put, key: key, value: value, outcome: .wrote, revision: revision)
    }

    @Test func aHistoryInTheStoresOrderIsAccepted() throws {
        let witness = SequentialWitness(store: try Self.store())
        let first = [Self.put("k0", "a", at: 2), Self.get("k0", "a", at: 2), Self.get("k1", nil, at: 3), Self.get("k0", nil, at: 5)]
        let second = [
            Self.get("k0", "b", at: 3),
            Self.put("k1", "x", at: 4),
            Observation(function: .cas, key: "k0", value: "c", expected: "a", outcome: .changedNothing, revision: 4),
            Observation(function: .delete, key: "k0", outcome: .wrote, revision: 5),
            Observation(function: .delete, key: "k0", outcome: .changedNothing, revision: 5),
        ]
        #expect(witness.check([(1, first), (2, second)]) == [])
    }

    @Test func aClientGoingBackInTheOrderIsRefused() throws {
        let witness = SequentialWitness(store: try Self.store())
        let failures = witness.check([(1, [Self.get("k0", "b", at: 3), Self.get("k0", "a", at: 2)])])
        #expect(failures.count == 1)
        #expect(failures.first?.contains("comes before its predecessor") == true)
    }

    @Test func aWriteAtTheRevisionOfAnEarlierReadIsRefused() throws {
        let witness = SequentialWitness(store: try Self.store())
        #expect(witness.check([(1, [Self.get("k0", "a", at: 3), Self.put("k0", "b", at: 3)])]).count == 2)
        #expect(witness.check([(1, [Self.get("k0", "a", at: 2), Self.put("k0", "b", at: 3)])]) == [])
    }

    @Test func answersTheStoreDidNotHoldAreRefused() throws {
        let witness = SequentialWitness(store: try Self.store())
        let wrong: [Observation] = [
            Self.get("k0", "a", at: 3),
            Self.put("k0", "z", at: 3),
            Self.put("k1", "x", at: 3),
            Observation(function: .cas, key: "k0", value: "b", expected: "z", outcome: .wrote, revision: 3),
            Observation(function: .cas, key: "k0", value: "c", expected: "b", outcome: .changedNothing, revision: 3),
            Observation(function: .delete, key: "k1", outcome: .changedNothing, revision: 4),
            Observation(function: .delete, key: "k1", outcome: .wrote, revision: 5),
        ]
        for observation in wrong {
            #expect(witness.check([(1, [observation])]).count == 1, "\(observation)")
        }
    }
}
