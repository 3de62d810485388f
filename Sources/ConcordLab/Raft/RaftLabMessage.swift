import ConcordRaft

/// What the nodes of the Raft key-value lab send one another.
enum RaftLabMessage: Sendable, CustomStringConvertible {
    /// Between servers.
    case raft(RaftMessage)
    /// Client to server.
    case request(KVCommand)
    /// Server to client: the answer to the request with this sequence number.
    case response(sequence: UInt64, KVResponse)

    var description: String {
        switch self {
        case .raft(let message): "raft t\(message.term) \(Self.describe(message.body))"
        case .request(let command): "request c\(command.clientID)#\(command.sequence) \(command.operation)"
        case .response(let sequence, let response): "response #\(sequence) \(response)"
        }
    }

    private static func describe(_ body: RaftMessage.Body) -> String {
        switch body {
        case .appendEntries(let append):
            "append prev \(append.previousIndex)/\(append.previousTerm) +\(append.entries.count) commit \(append.leaderCommit)"
        case .appendResponse(let response):
            response.rejected ? "append-reject \(response.index) hint \(response.hintIndex)" : "append-ok \(response.index)"
        case .heartbeat(let heartbeat): "heartbeat commit \(heartbeat.commit) round \(heartbeat.readRound)"
        case .heartbeatResponse(let response): "heartbeat-ok round \(response.readRound)"
        case .voteRequest(let request):
            "\(request.isPreVote ? "pre-vote" : "vote") last \(request.lastLogIndex)/\(request.lastLogTerm)"
        case .voteResponse(let response):
            "\(response.isPreVote ? "pre-vote" : "vote") \(response.granted ? "granted" : "refused")"
        case .snapshotChunk(let chunk): "snapshot \(chunk.metadata.index) @\(chunk.offset)\(chunk.isLast ? " last" : "")"
        case .snapshotChunkResponse(let response): "snapshot-ack \(response.snapshotIndex) @\(response.nextOffset)"
        case .timeoutNow: "timeout-now"
        case .forwardedProposal(let entries): "forward +\(entries.count)"
        case .readIndexRequest(let context): "read-index \(context)"
        case .readIndexResponse(let index, let context): "read-index-ok \(context) at \(index)"
        }
    }
}

/// A server's answer to a client.
enum KVResponse: Sendable, Hashable {
    /// The command took effect (or, for a read, was served) with this result.
    case result(KVResult)
    /// This server cannot serve the request now; try `leaderHint` if known.
    case notLeader(leaderHint: Int?)
}
