import ConcordFoundation
import ConcordSimulation

/// What a Paxos-family lab client does next: the mix the Raft lab's clients
/// drew before the Raft lab ran the server core — 40%
/// gets, 30% puts, 10% deletes and 20% compare-and-swaps on a random key; a
/// cas expects the value this client last saw (or, one time in five,
/// absence); the value written is unique to the client and sequence.
enum PaxosLabWorkload {
    static func nextOperation(
        client id: NodeID, sequence: UInt64, keys: [String], lastSeen: [String: String?], random: inout SeededRandom
    ) -> (key: String, operation: PaxosLabKVCommand.Operation) {
        let key = keys[random.index(below: keys.count)]
        let value = "\(id)-\(sequence)"
        switch random.next(below: 100) {
        case 0..<40: return (key, .get(key: key))
        case 40..<70: return (key, .put(key: key, value: value))
        case 70..<80: return (key, .delete(key: key))
        default:
            let expected = random.chance(perMillion: 200_000) ? nil : (lastSeen[key] ?? nil)
            return (key, .cas(key: key, expected: expected, value: value))
        }
    }
}
