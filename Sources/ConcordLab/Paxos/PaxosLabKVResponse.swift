/// A Paxos-family lab server's answer to a client.
enum PaxosLabKVResponse: Sendable, Hashable {
    /// The command took effect (or, for a read, was served) with this result.
    case result(PaxosLabKVResult)
    /// This server cannot serve the request now; try `leaderHint` if known.
    case notLeader(leaderHint: Int?)
}
