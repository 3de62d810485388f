import ConcordFoundation
import ConcordSimulation

/// Which server a Paxos lab client sends its request to: a random one at
/// first, then the leader a "not leader" answer names, or else the next
/// server in turn.
struct PaxosLabServerChoice {
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
