/// The entry point for messages: the term is handled first (higher, lower,
/// equal), then the message goes to the step function of the role
/// (etcd-io/raft's `Step`, `stepLeader`, `stepCandidate`, `stepFollower`).
extension RaftNode {
    mutating func stepMessage(_ message: RaftMessage) {
        if message.term == 0 {
            // Only forwarded requests travel outside of any term.
            switch message.body {
            case .forwardedProposal, .readIndexRequest: break
            default: return
            }
        }
        if message.term > term {
            guard handleHigherTerm(message) else { return }
        } else if message.term != 0 && message.term < term {
            handleLowerTerm(message)
            return
        }
        if case .voteRequest(let request) = message.body {
            handleVoteRequest(message, request)
            return
        }
        switch role {
        case .leader: stepLeader(message)
        case .candidate, .preCandidate: stepCandidate(message)
        case .follower: stepFollower(message)
        }
    }

    /// A message from a later term. Returns false when it must be ignored.
    private mutating func handleHigherTerm(_ message: RaftMessage) -> Bool {
        switch message.body {
        case .voteRequest(let request):
            // Disruptive servers (thesis §4.2.3): while a leader is heard
            // from, a vote request does not depose it, unless the leader
            // itself asked for the election.
            let inLease =
                configuration.checkQuorum
                && (leader != nil || honoursLeaseAfterRestart)
                && electionElapsed < configuration.electionTimeoutTicks
            if !request.isLeadershipTransfer && inLease { return false }
            if request.isPreVote { return true }  // a pre-vote changes no term
            becomeFollower(term: message.term, leader: nil)
        case .voteResponse(let response) where response.isPreVote && response.granted:
            // A granted pre-vote carries the term the candidate will use.
            return true
        case .appendEntries, .heartbeat, .snapshotChunk:
            becomeFollower(term: message.term, leader: message.from)
        default:
            becomeFollower(term: message.term, leader: nil)
        }
        return true
    }

    /// A message from an earlier term (Raft Figure 2: reply false if the
    /// term is older; the reply carries the newer term).
    private mutating func handleLowerTerm(_ message: RaftMessage) {
        switch message.body {
        case .appendEntries(let append) where configuration.testingBugs.contains(.acceptStaleTermAppend):
            handleAppendEntries(message, append)
        case .appendEntries, .heartbeat, .snapshotChunk:
            // Tell a stale leader about the new term, so it steps down
            // (without this, CheckQuorum and PreVote could leave it stranded).
            send(to: message.from, .appendResponse(.init(rejected: true, index: 0)))
        case .voteRequest(let request) where request.isPreVote:
            send(to: message.from, .voteResponse(.init(granted: false, isPreVote: true)))
        default:
            break
        }
    }

    private mutating func stepLeader(_ message: RaftMessage) {
        guard progress[message.from] != nil || message.from == id else { return }
        switch message.body {
        case .forwardedProposal(let entries):
            try? appendProposals(entries)
        case .readIndexRequest(let context):
            handleReadIndex(from: message.from, context: context)
        case .appendResponse(let response):
            handleAppendResponse(message, response)
        case .heartbeatResponse(let response):
            handleHeartbeatResponse(message, response)
        case .snapshotChunkResponse(let response):
            handleSnapshotChunkResponse(message, response)
        default:
            break
        }
    }

    private mutating func stepCandidate(_ message: RaftMessage) {
        switch message.body {
        case .appendEntries(let append):
            becomeFollower(term: term, leader: message.from)
            handleAppendEntries(message, append)
        case .heartbeat(let heartbeat):
            becomeFollower(term: term, leader: message.from)
            handleHeartbeat(message, heartbeat)
        case .snapshotChunk(let chunk):
            becomeFollower(term: term, leader: message.from)
            handleSnapshotChunk(message, chunk)
        case .voteResponse(let response):
            handleVoteResponse(message, response)
        default:
            break
        }
    }

    private mutating func stepFollower(_ message: RaftMessage) {
        switch message.body {
        case .appendEntries(let append):
            heardFromLeader(message.from)
            handleAppendEntries(message, append)
        case .heartbeat(let heartbeat):
            heardFromLeader(message.from)
            handleHeartbeat(message, heartbeat)
        case .snapshotChunk(let chunk):
            heardFromLeader(message.from)
            handleSnapshotChunk(message, chunk)
        case .timeoutNow:
            // The leader hands over: campaign at once, skipping the
            // pre-vote (thesis §3.10).
            campaign(.transfer)
        case .readIndexResponse(let index, let context):
            outbox.readStates.append(ReadState(index: index, context: context))
        default:
            break
        }
    }

    private mutating func heardFromLeader(_ replica: MemberID) {
        electionElapsed = 0
        honoursLeaseAfterRestart = false
        leader = replica
    }
}
