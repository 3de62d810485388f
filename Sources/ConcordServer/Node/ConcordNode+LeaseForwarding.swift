import ConcordKV
import ConcordRaft

/// Lease keep-alives and time-to-live queries on any member.
///
/// The leader answers them from its in-memory expiry times (they do not go
/// through the Raft log, as in etcd). A follower forwards each one to the
/// leader it knows as a `LeaseForwardMessage` over the peer transport and
/// waits for the answer. It fails the request with etcd's "request timed
/// out" once the request timeout passes, with "leader changed" when another
/// leader (or none) takes over before the answer arrives, and with "no
/// leader" when no leader is known within the request timeout.
extension ConcordNode {
    /// A forwarded request awaiting the leader's answer.
    struct LeaseForwardWaiter {
        var request: LeaseForwardMessage.Request
        var leader: ReplicaID
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<LeaseForwardMessage.Response, any Error>
    }

    /// Renews a lease, on the leader or through it.
    /// - Returns: the TTL granted again, in seconds, with this member's
    ///   revision and term.
    /// - Throws: `LeaseError.leaseNotFound` for an unknown or expired lease;
    ///   `ServerError` when the leader cannot be reached in time.
    public func renewLease(id: Int64) async throws -> (ttlSeconds: Int64, revision: Int64, term: UInt64) {
        let request = LeaseForwardMessage.Request.keepAlive(leaseID: id)
        switch try await leaseRequest(request) {
        case .renewed(let ttl): return (ttl, state.store.currentRevision, raft.term)
        case .refused(let error): throw error
        case .timeToLive: preconditionFailure("a keep-alive answered with a status; receiveLeaseForward checks the kind")
        }
    }

    /// A lease's remaining and granted TTL (and its keys when `keys`), on
    /// the leader or through it.
    /// - Throws: `LeaseError.leaseNotFound` for an unknown or expired lease;
    ///   `ServerError` when the leader cannot be reached in time.
    public func leaseTimeToLive(id: Int64, keys: Bool) async throws -> (LeaseTimeToLive, revision: Int64, term: UInt64) {
        let request = LeaseForwardMessage.Request.timeToLive(leaseID: id, keys: keys)
        switch try await leaseRequest(request) {
        case .timeToLive(let status): return (status, state.store.currentRevision, raft.term)
        case .refused(let error): throw error
        case .renewed: preconditionFailure("a time-to-live answered with a renewal; receiveLeaseForward checks the kind")
        }
    }

    /// Answers `request` here when this member leads, otherwise asks the leader.
    private func leaseRequest(_ request: LeaseForwardMessage.Request) async throws -> LeaseForwardMessage.Response {
        guard !stopped else { throw ServerError.stopping }
        if raft.role == .leader { return answerLease(request) }
        let deadline = ContinuousClock.now + .milliseconds(configuration.requestTimeoutMilliseconds)
        try await waitForLeader(until: deadline)
        guard let leader = raft.leader else { throw ServerError.noLeader }
        if leader == configuration.memberID { return answerLease(request) }
        guard let transport else { throw ServerError.stopping }
        let requestID = nextRequestID
        nextRequestID &+= 1
        let frame = LeaseForwardCodec.encode(
            LeaseForwardMessage(from: configuration.memberID, to: leader, requestID: requestID, body: .request(request)),
            clusterID: configuration.clusterID)
        return try await withCheckedThrowingContinuation { continuation in
            do {
                try transport.send(to: leader, frame)
                leaseForwards[requestID] = LeaseForwardWaiter(
                    request: request, leader: leader, deadline: deadline, continuation: continuation)
            } catch {
                logger.debug("cannot forward a lease request", metadata: ["to": "\(leader)", "error": "\(error)"])
                continuation.resume(throwing: ServerError.noLeader)
            }
        }
    }

    /// The answer of this member's lease table: `.refused(.notLeader)` unless it leads.
    private func answerLease(_ request: LeaseForwardMessage.Request) -> LeaseForwardMessage.Response {
        do throws(LeaseError) {
            guard raft.role == .leader else { throw .notLeader }
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

    /// Handles a lease forwarding frame from `sender`: answers a request,
    /// or hands a response to its waiting client. Undecodable, misaddressed
    /// and unexpected frames are counted and dropped.
    func receiveLeaseForward(from sender: UInt64, _ payload: [UInt8]) {
        let message: LeaseForwardMessage
        do {
            message = try LeaseForwardCodec.decode(payload, clusterID: configuration.clusterID)
        } catch {
            metrics.badPeerMessages.increment()
            logger.warning("dropping undecodable lease forwarding frame", metadata: ["sender": "\(sender)", "error": "\(error)"])
            return
        }
        guard message.from == sender, message.to == configuration.memberID else {
            metrics.badPeerMessages.increment()
            logger.warning(
                "dropping misaddressed lease forwarding frame",
                metadata: ["sender": "\(sender)", "from": "\(message.from)", "to": "\(message.to)"])
            return
        }
        switch message.body {
        case .request(let request):
            let answer = LeaseForwardMessage(
                from: configuration.memberID, to: sender, requestID: message.requestID, body: .response(answerLease(request)))
            do {
                try transport?.send(to: sender, LeaseForwardCodec.encode(answer, clusterID: configuration.clusterID))
            } catch {
                logger.debug("cannot answer a forwarded lease request", metadata: ["to": "\(sender)", "error": "\(error)"])
            }
        case .response(let response):
            guard let waiter = leaseForwards[message.requestID], waiter.leader == sender, Self.answers(response, waiter.request) else {
                // A late answer (its waiter timed out) or one from a member not asked.
                logger.debug("dropping unexpected lease forwarding answer", metadata: ["sender": "\(sender)"])
                return
            }
            leaseForwards.removeValue(forKey: message.requestID)
            waiter.continuation.resume(returning: response)
        }
    }

    /// Whether `response` is of the kind `request` asks for.
    private static func answers(_ response: LeaseForwardMessage.Response, _ request: LeaseForwardMessage.Request) -> Bool {
        switch (request, response) {
        case (_, .refused), (.keepAlive, .renewed), (.timeToLive, .timeToLive): true
        default: false
        }
    }

    /// Fails forwarded requests whose request timeout has passed (each tick).
    func expireLeaseForwards() {
        let now = ContinuousClock.now
        for (id, waiter) in leaseForwards where waiter.deadline <= now {
            leaseForwards.removeValue(forKey: id)
            waiter.continuation.resume(throwing: ServerError.timedOut)
        }
    }

    /// Fails every forwarded request except those sent to `leader` (nil:
    /// fails them all), when the leader changes or the node stops.
    func failLeaseForwards(_ error: ServerError, unlessLeader leader: ReplicaID?) {
        for (id, waiter) in leaseForwards where waiter.leader != leader {
            leaseForwards.removeValue(forKey: id)
            waiter.continuation.resume(throwing: error)
        }
    }
}
