/// The entry point for messages: a leader's or candidate's message is
/// checked against the promise first (a lower ballot is refused, a higher
/// one is promised implicitly), answers are matched to the ballot they
/// answer, then each goes to its handler.
extension MultiPaxosNode {
    mutating func stepMessage(_ message: MultiPaxosMessage) {
        switch message.body {
        case .forwardedProposal(let commands):
            if role == .leader { try? appendProposals(commands) }
        case .readIndexRequest(let context):
            if role == .leader { handleReadIndex(from: message.from, context: context) }
        case .readIndexResponse(let index, let context):
            if message.from == leader { outbox.readStates.append(MultiPaxosReadState(index: index, context: context)) }
        case .prepare(let prepare):
            handlePrepare(message, prepare)
        case .accept, .heartbeat, .snapshotChunk, .timeoutNow:
            stepFromLeader(message)
        case .promise(let promise):
            guard role == .candidate, message.ballot == ballot else { return }
            handlePromise(from: message.from, promise)
        case .reject(let higher):
            highestRoundSeen = max(highestRoundSeen, higher.round)
            guard role != .follower, message.ballot == ballot, higher > ballot else { return }
            handleRejection(higher)
        case .acceptResponse(let response):
            guard role == .leader, message.ballot == ballot else { return }
            handleAcceptResponse(from: message.from, response)
        case .heartbeatResponse(let response):
            guard role == .leader, message.ballot == ballot else { return }
            handleHeartbeatResponse(from: message.from, response)
        case .snapshotChunkResponse(let response):
            guard role == .leader, message.ballot == ballot else { return }
            handleSnapshotChunkResponse(from: message.from, response)
        }
    }

    /// A message only a leader sends. A ballot below the promise is refused
    /// (so that a deposed leader learns of the newer one); a higher ballot
    /// is promised, as an acceptor that receives an accept of a ballot it
    /// never heard prepared may ("Paxos Made Simple" §2.2: an acceptor
    /// accepts unless it promised a higher ballot).
    private mutating func stepFromLeader(_ message: MultiPaxosMessage) {
        let acceptsBelowPromise: Bool
        if case .accept = message.body, configuration.testingBugs.contains(.acceptLowerBallot) {
            acceptsBelowPromise = true
        } else {
            acceptsBelowPromise = false
        }
        if message.ballot < promised {
            guard acceptsBelowPromise, case .accept(let accept) = message.body else {
                send(to: message.from, ballot: message.ballot, .reject(promised: promised))
                return
            }
            handleAccept(message, accept)
            return
        }
        if message.ballot > promised {
            becomeFollower(promising: message.ballot, leader: message.from)
        } else if role != .follower {
            // The same ballot from another replica cannot happen: a ballot
            // belongs to one replica. Our own messages never come here.
            return
        }
        heardFromLeader(message.from)
        switch message.body {
        case .accept(let accept): handleAccept(message, accept)
        case .heartbeat(let heartbeat): handleHeartbeat(message, heartbeat)
        case .snapshotChunk(let chunk): handleSnapshotChunk(message, chunk)
        case .timeoutNow: campaign(transfer: true)
        default: break
        }
    }

    mutating func heardFromLeader(_ replica: ReplicaID) {
        electionElapsed = 0
        honoursLeaseAfterRestart = false
        leader = replica
    }
}
