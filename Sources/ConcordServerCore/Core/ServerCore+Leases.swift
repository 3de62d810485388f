import ConcordKV
import ConcordRaft

/// Lease keep-alives and time-to-live queries on any member, and the
/// leader's revokes of expired leases.
///
/// The leader answers keep-alives and time-to-live queries from its
/// in-memory expiry times (they do not go through the log, as in etcd). A
/// follower forwards each one to the leader it knows as a `PeerFrame` and
/// waits for the answer: it fails the request with etcd's "request timed
/// out" at its deadline, and with "leader changed" when another leader (or
/// none) takes over before the answer arrives.
extension ServerCore {
    /// A forwarded lease request awaiting the leader's answer.
    struct PendingLeaseForward: Sendable {
        var client: ClientRequestID
        var request: LeaseForwardRequest
        var leader: MemberID
        var deadline: Int64
    }

    /// Answers `request` here when this member leads, otherwise asks the leader.
    mutating func leaseRequest(_ id: ClientRequestID, _ request: LeaseForwardRequest, deadline: Int64, _ output: inout ServerOutput) {
        guard let leader = engine.leader, leader != memberID else {
            return answerClient(id, answerLease(request), &output)
        }
        let number = takeRequestNumber()
        leaseForwards[number] = PendingLeaseForward(client: id, request: request, leader: leader, deadline: deadline)
        output.frames.append(OutgoingFrame(to: leader, frame: .leaseRequest(requestID: number, request)))
    }

    /// The answer of this member's lease table: `.refused(.notLeader)` unless it leads.
    mutating func answerLease(_ request: LeaseForwardRequest) -> LeaseForwardResponse {
        do throws(LeaseError) {
            guard engine.role == .leader else { throw .notLeader }
            switch request {
            case .keepAlive(let id):
                return .renewed(ttlSeconds: try state.renew(id, nowMilliseconds: nowMilliseconds))
            case .timeToLive(let id, let keys):
                return .timeToLive(try state.leases.timeToLive(id, nowMilliseconds: nowMilliseconds, keys: keys))
            }
        } catch {
            return .refused(error)
        }
    }

    /// Hands the leader's answer to the waiting client. A late answer (its
    /// waiter timed out) or one from a member not asked is dropped.
    mutating func receiveLeaseAnswer(_ number: UInt64, _ response: LeaseForwardResponse, from sender: UInt64, _ output: inout ServerOutput) {
        guard let waiter = leaseForwards[number], waiter.leader == sender, response.answers(waiter.request) else {
            output.events.append(.droppedPeerFrame(sender: sender, reason: "unexpected lease forwarding answer"))
            return
        }
        leaseForwards[number] = nil
        answerClient(waiter.client, response, &output)
    }

    private mutating func answerClient(_ id: ClientRequestID, _ response: LeaseForwardResponse, _ output: inout ServerOutput) {
        switch response {
        case .renewed(let ttlSeconds): reply(id, .success(.leaseRenewed(ttlSeconds: ttlSeconds)), &output)
        case .timeToLive(let status): reply(id, .success(.leaseTimeToLive(status)), &output)
        case .refused(let error): fail(id, .lease(error), &output)
        }
    }

    /// Fails every forwarded request except those sent to `leader` (nil:
    /// fails them all).
    mutating func failLeaseForwards(_ error: ServerError, unlessLeader leader: MemberID?, _ output: inout ServerOutput) {
        for number in leaseForwards.keys.sorted() {
            guard let waiter = leaseForwards[number], waiter.leader != leader else { continue }
            leaseForwards[number] = nil
            fail(waiter.client, .server(error), &output)
        }
    }

    /// On the leader, proposes a revoke for each lease whose TTL ran out;
    /// the keys vanish when the revoke is applied, on every replica.
    mutating func revokeExpiredLeases(_ output: inout ServerOutput) {
        guard engine.role == .leader else { return }
        let deadline = nowMilliseconds + Int64(configuration.requestTimeoutMilliseconds)
        for id in state.expiredLeases(nowMilliseconds: nowMilliseconds, max: configuration.expiredLeasesPerTickMax)
        where revokesInFlight[id] == nil {
            revokesInFlight[id] = nextRequestNumber
            proposeStore(.lease(.revoke(id: id)), purpose: .expiredRevoke(leaseID: id), deadline: deadline, &output)
        }
    }

    /// The `unreplicatedLeaseRevoke` bug: revokes on the leader's own state
    /// and answers, without the log.
    mutating func revokeLocally(_ id: ClientRequestID, _ leaseID: Int64, _ output: inout ServerOutput) {
        do {
            let (_, events) = try state.apply(.lease(.revoke(id: leaseID)), nowMilliseconds: nowMilliseconds)
            hub.onApplied(revision: state.store.currentRevision, events: events)
            watchWorkMayWait = true
            reply(id, .success(.leaseRevoked), &output)
        } catch {
            switch error {
            case .kv(let error): fail(id, .kv(error), &output)
            case .lease(let error): fail(id, .lease(error), &output)
            }
        }
    }
}
