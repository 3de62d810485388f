import ConcordFoundation
import ConcordRaft
import ConcordSimulation

/// What a Raft lab client does next, shared by both labs' clients so that
/// they draw the same operations from the same random numbers.
enum RaftLabWorkload {
    /// Draws the next operation of client `id`: 40% gets, 30% puts, 10%
    /// deletes and 20% compare-and-swaps, on a random key; a cas expects the
    /// value this client last saw (or, one time in five, absence). The value
    /// written is unique to the client and sequence.
    static func nextOperation<Message>(
        client id: NodeID, sequence: UInt64, settings: RaftLabSettings, lastSeen: [String: String?],
        context: inout NodeContext<Message, RaftDurableState>
    ) -> (key: String, operation: KVCommand.Operation) {
        let key = settings.keys[context.random.index(below: settings.keys.count)]
        let value = "\(id)-\(sequence)"
        switch context.random.next(below: 100) {
        case 0..<40: return (key, .get(key: key))
        case 40..<70: return (key, .put(key: key, value: value))
        case 70..<80: return (key, .delete(key: key))
        default:
            let expected = context.random.chance(perMillion: 200_000) ? nil : (lastSeen[key] ?? nil)
            return (key, .cas(key: key, expected: expected, value: value))
        }
    }
}

/// Which server a Raft lab client sends its request to: a random one at
/// first, then the leader a "not leader" answer names, or else the next
/// server in turn.
struct RaftLabServerChoice {
    private let servers: [NodeID]
    /// The server the next attempt goes to.
    private(set) var target: NodeID
    /// True when the retry timer was armed as a timeout (no answer came), so
    /// the next attempt goes to another server; false after a "not leader"
    /// answer already chose the next server.
    private var retryRotates = true

    /// Picks the first server with one draw of `random`.
    init(servers: [NodeID], random: inout SeededRandom) {
        self.servers = servers
        target = servers[random.index(below: servers.count)]
    }

    /// A request went to ``target``; its retry timer is a timeout.
    mutating func requestSent() {
        retryRotates = true
    }

    /// The retry timer fired: after a timeout, move on to the next server.
    mutating func retryDue() {
        if retryRotates {
            target = nextServer(after: target)
        }
    }

    /// `server` answered that it is not the leader, perhaps naming one.
    mutating func notLeader(_ server: NodeID, hint: NodeID?) {
        if let hint, servers.contains(hint), hint != server {
            target = hint
        } else {
            target = nextServer(after: server)
        }
        retryRotates = false
    }

    private func nextServer(after server: NodeID) -> NodeID {
        let position = servers.firstIndex(of: server) ?? 0
        return servers[(position + 1) % servers.count]
    }
}
