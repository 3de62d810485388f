/// What the nodes of a Paxos-family key-value lab send one another: the
/// core's messages between servers, and the clients' requests and answers
/// (`PaxosLabKVCommand` and `PaxosLabKVResponse`).
enum PaxosLabMessage<Peer: Sendable & CustomStringConvertible>: Sendable, CustomStringConvertible {
    /// Between servers.
    case peer(Peer)
    /// Client to server.
    case request(PaxosLabKVCommand)
    /// Server to client: the answer to the request with this sequence number.
    case response(sequence: UInt64, PaxosLabKVResponse)

    var description: String {
        switch self {
        case .peer(let message): "\(message)"
        case .request(let command): "request c\(command.clientID)#\(command.sequence) \(command.operation)"
        case .response(let sequence, let response): "response #\(sequence) \(response)"
        }
    }
}
