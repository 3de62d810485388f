import ConcordRaft

/// What the nodes of the MVCC lab send one another.
enum MVCCLabMessage: Sendable, CustomStringConvertible {
    /// Between servers.
    case raft(RaftMessage)
    /// Client to server.
    case request(MVCCLabRequest)
    /// Server to client: the answer to the request with this sequence number.
    case response(sequence: UInt64, MVCCLabResponse)

    var description: String {
        switch self {
        case .raft(let message): RaftLabMessage.raft(message).description
        case .request(let request): "request c\(request.clientID)#\(request.sequence) \(request.body)"
        case .response(let sequence, let response): "response #\(sequence) \(response)"
        }
    }
}

/// A server's answer to a client.
enum MVCCLabResponse: Sendable, Hashable {
    /// The request was applied (or, for a read, served) with this answer.
    case answer(MVCCLabAnswer)
    /// This server cannot serve the request now; try `leaderHint` if known.
    case notLeader(leaderHint: Int?)
}
