import ConcordFoundation
import ConcordKV
import ConcordRaft

/// Client requests: dispatch, proposals and their batching, reads, and the
/// deadlines of everything in flight.
extension ServerCore {
    /// A request that arrived while no leader was known: it waits for one,
    /// as etcd's requests do, until its deadline.
    struct ParkedRequest: Sendable {
        var client: ClientRequestID
        var request: ClientRequest
        var caller: AuthCaller?
        var deadline: Int64
    }

    /// A proposal of this member not yet applied.
    struct PendingProposal: Sendable {
        enum Purpose: Sendable {
            /// A client's write or lease command.
            case client(ClientRequestID)
            /// A client's membership change.
            case member(ClientRequestID)
            /// The leader revoking an expired lease.
            case expiredRevoke(leaseID: Int64)
            /// This member publishing its name and client URLs.
            case publish
            /// Already answered (a test-only bug answers early).
            case answered
            /// A ZooKeeper transaction of this member's ZooKeeper server,
            /// under that server's tag (0: nobody waits).
            case zooKeeper(tag: UInt64)
        }

        var purpose: Purpose
        /// The encoded payload of a normal entry, kept to propose it again
        /// after a leader change; nil for a configuration change.
        var data: [UInt8]?
        var deadline: Int64
        /// True once handed to Raft.
        var proposed = false
        /// The leader this member knew when it last handed the proposal to
        /// Raft (itself, or the leader Raft forwarded it to).
        var proposedUnder: MemberID?
    }

    /// A linearizable read waiting for its ReadIndex round.
    struct PendingRead: Sendable {
        enum Query: Sendable {
            case range(RangeRequest)
            case txn(TxnRequest)
            case leaseIDs
            case auth(AuthQuery, AuthCaller?)
        }

        var client: ClientRequestID
        var query: Query
        /// Who asks: a range or transaction is checked against the auth
        /// store once the read's index is applied, just before it is
        /// answered.
        var caller: AuthCaller?
    }

    // MARK: Dispatch

    mutating func dispatch(
        _ id: ClientRequestID, _ request: ClientRequest, caller: AuthCaller?, deadline: Int64, _ output: inout ServerOutput
    ) {
        // Nothing is checked on arrival. Reads are checked when answered,
        // after their ReadIndex round; writes, lease revokes and auth
        // commands when applied (`applyRefusal`): etcd 3.4's moments, at
        // which this member's store has every change acknowledged before
        // the request arrived, however far behind the member was.
        if request.needsLeader && engine.leader == nil && !readsLocally(request) {
            parked.append(ParkedRequest(client: id, request: request, caller: caller, deadline: deadline))
            return
        }
        switch request {
        case .range(let range):
            let read = PendingRead(client: id, query: .range(range), caller: caller)
            if readsLocally(request) { return answerRead(read, &output) }
            startRead(read, deadline: deadline, &output)
        case .readOnlyTxn(let txn, _):
            let read = PendingRead(client: id, query: .txn(txn), caller: caller)
            if readsLocally(request) { return answerRead(read, &output) }
            startRead(read, deadline: deadline, &output)
        case .write(let command):
            do throws(KVError) {
                try state.store.validate(command)
            } catch {
                return fail(id, .kv(error), &output)
            }
            proposeStore(.kv(command), purpose: .client(id), checkedAs: .some(caller), deadline: deadline, &output)
        case .leaseGrant(let leaseID, let ttlSeconds):
            let chosen = leaseID != 0 ? leaseID : state.leases.unusedID(using: &random)
            do throws(LeaseError) {
                _ = try state.leases.checkGrant(id: chosen, ttlSeconds: ttlSeconds)
            } catch {
                return fail(id, .lease(error), &output)
            }
            proposeStore(.lease(.grant(id: chosen, ttlSeconds: ttlSeconds)), purpose: .client(id), deadline: deadline, &output)
        case .leaseRevoke(let leaseID):
            if configuration.bugs.contains(.unreplicatedLeaseRevoke) && engine.role == .leader {
                return revokeLocally(id, leaseID, &output)
            }
            proposeStore(.lease(.revoke(id: leaseID)), purpose: .client(id), checkedAs: .some(caller), deadline: deadline, &output)
        case .leaseKeepAlive(let leaseID):
            leaseRequest(id, .keepAlive(leaseID: leaseID), deadline: deadline, &output)
        case .leaseTimeToLive(let leaseID, let keys):
            leaseRequest(id, .timeToLive(leaseID: leaseID, keys: keys), deadline: deadline, &output)
        case .leaseList:
            startRead(PendingRead(client: id, query: .leaseIDs), deadline: deadline, &output)
        case .memberAdd(let member):
            addMember(id, member, deadline: deadline, &output)
        case .memberRemove(let memberID):
            removeMember(id, memberID, deadline: deadline, &output)
        case .memberUpdate(let memberID, let peerURLs):
            updateMember(id, memberID, peerURLs: peerURLs, deadline: deadline, &output)
        case .memberPromote(let memberID):
            promoteMember(id, memberID, deadline: deadline, &output)
        case .moveLeader(let target):
            moveLeader(id, to: target, deadline: deadline, &output)
        case .auth(let command):
            // Checked for root and decided when applied, in log order, as
            // etcd decides it: this member's copy of the auth store may not
            // have applied an earlier command yet (etcdctl's `auth enable`
            // adds the root role through one member and retries the enable
            // through the next, and a root role just revoked may not be
            // revoked here yet), so a check here could judge otherwise
            // than the log. A command that fails when applied changes nothing.
            proposeAuth(command, caller: caller, client: id, deadline: deadline, &output)
        case .authQuery(let query):
            startRead(PendingRead(client: id, query: .auth(query, caller)), deadline: deadline, &output)
        }
    }

    /// Whether a read is answered from the local store at once.
    private func readsLocally(_ request: ClientRequest) -> Bool {
        switch request {
        case .range(let range): range.serializable || configuration.bugs.contains(.localLinearizableRead)
        case .readOnlyTxn(_, let serializable): serializable || configuration.bugs.contains(.localLinearizableRead)
        default: false
        }
    }

    /// Dispatches the requests that waited for a leader, now that one is known.
    mutating func dispatchParked(_ output: inout ServerOutput) {
        let waiting = parked
        parked = []
        for request in waiting {
            dispatch(request.client, request.request, caller: request.caller, deadline: request.deadline, &output)
        }
    }

    // MARK: Proposals

    /// Queues a store command for the next flush.
    /// - Parameter caller: For a client's write or lease revoke, the caller
    ///   it is made as (`.some(nil)` for an anonymous one): the command is
    ///   then checked against the auth store when applied. `nil` for the
    ///   member's own commands (an expired lease's revoke) and lease
    ///   grants, which etcd does not check.
    mutating func proposeStore(
        _ command: StoreCommand, purpose: PendingProposal.Purpose, checkedAs caller: AuthCaller?? = nil, deadline: Int64,
        _ output: inout ServerOutput
    ) {
        let body = command.encoded()
        guard body.count <= configuration.requestBytesMax else {
            if case .client(let id) = purpose { fail(id, .kv(.requestTooLarge), &output) }
            return
        }
        let proposal = ProposalID(proposer: memberID, request: takeRequestNumber())
        let data =
            if let caller {
                LogPayload.encodedCheckedStore(proposal, caller: caller, commandBytes: body)
            } else {
                LogPayload.encodedStore(proposal, commandBytes: body)
            }
        var pending = PendingProposal(purpose: purpose, data: data, deadline: deadline)
        if configuration.bugs.contains(.acknowledgeBeforeQuorum), engine.role == .leader, case .client(let id) = purpose {
            answerEarly(id, command, &output)
            pending.purpose = .answered
        }
        proposals[proposal.request] = pending
        queuedProposals.append(proposal.request)
        if !flushPending {
            flushPending = true
            output.flushRequested = true
        }
    }

    /// Queues an auth command for the next flush.
    private mutating func proposeAuth(
        _ command: AuthCommand, caller: AuthCaller?, client: ClientRequestID, deadline: Int64, _ output: inout ServerOutput
    ) {
        let proposal = ProposalID(proposer: memberID, request: takeRequestNumber())
        let data = LogPayload.checkedAuth(proposal, caller, command).encoded()
        guard data.count <= configuration.requestBytesMax else { return fail(client, .kv(.requestTooLarge), &output) }
        proposals[proposal.request] = PendingProposal(purpose: .client(client), data: data, deadline: deadline)
        queuedProposals.append(proposal.request)
        if !flushPending {
            flushPending = true
            output.flushRequested = true
        }
    }

    /// The `acknowledgeBeforeQuorum` bug: answers a write with the result
    /// it would have if applied now, before anything is replicated.
    private mutating func answerEarly(_ id: ClientRequestID, _ command: StoreCommand, _ output: inout ServerOutput) {
        var scratch = state
        do {
            let (result, _) = try scratch.apply(command, nowMilliseconds: nowMilliseconds)
            reply(id, .success(Self.answer(result)), &output)
        } catch {
            switch error {
            case .kv(let error): fail(id, .kv(error), &output)
            case .lease(let error): fail(id, .lease(error), &output)
            }
        }
    }

    mutating func flushProposals(_ output: inout ServerOutput) {
        flushPending = false
        var queued = queuedProposals[...]
        queuedProposals = []
        while !queued.isEmpty {
            var entries: [[UInt8]] = []
            var numbers: [UInt64] = []
            var bytes = 0
            while let number = queued.first {
                guard let data = proposals[number]?.data else {
                    queued.removeFirst()
                    continue
                }
                if !entries.isEmpty && bytes + data.count > configuration.proposalBatchBytesMax { break }
                bytes += data.count
                entries.append(data)
                numbers.append(number)
                queued.removeFirst()
            }
            guard !entries.isEmpty else { break }
            for number in numbers {
                proposals[number]?.proposed = true
                proposals[number]?.proposedUnder = engine.leader
            }
            do throws(ConsensusRequestError) {
                absorb(try engine.propose(batch: entries), &output)
            } catch {
                let failure: ServerError
                switch error {
                case .notLeader: failure = .noLeader
                default: failure = .proposalRefused("\(error)")
                }
                for number in numbers { failProposal(number, .server(failure), &output) }
            }
        }
    }

    /// Once a leader is known, proposes again every normal entry of this
    /// member that was handed to Raft under another leader and is not yet
    /// applied: a follower's forwarded proposal, or an old leader's
    /// uncommitted entry, may have been lost with that leader. The
    /// duplicate filter applies a payload that survives twice only once.
    mutating func reproposeAfterLeaderChange(to leader: MemberID, _ output: inout ServerOutput) {
        let numbers = proposals.filter { $0.value.proposed && $0.value.data != nil && $0.value.proposedUnder != leader }.keys.sorted()
        guard !numbers.isEmpty else { return }
        for number in numbers { proposals[number]?.proposedUnder = leader }
        var entries: [[UInt8]] = []
        var bytes = 0
        for number in numbers {
            guard let data = proposals[number]?.data else { continue }
            if !entries.isEmpty && bytes + data.count > configuration.proposalBatchBytesMax {
                proposeAgain(entries, &output)
                entries = []
                bytes = 0
            }
            entries.append(data)
            bytes += data.count
        }
        proposeAgain(entries, &output)
    }

    private mutating func proposeAgain(_ entries: [[UInt8]], _ output: inout ServerOutput) {
        guard !entries.isEmpty else { return }
        // A refusal changes nothing: the proposals keep waiting for the
        // next leader change or their deadline.
        if let engineOutput = try? engine.propose(batch: entries) { absorb(engineOutput, &output) }
    }

    /// Takes a proposal out of the pending set and answers its client (or
    /// clears the internal work it stood for).
    @discardableResult
    mutating func failProposal(_ number: UInt64, _ failure: RequestFailure, _ output: inout ServerOutput) -> Bool {
        guard let pending = proposals.removeValue(forKey: number) else { return false }
        output.proposalsFailed += 1
        switch pending.purpose {
        case .client(let id), .member(let id): fail(id, failure, &output)
        case .expiredRevoke(let leaseID):
            revokesInFlight[leaseID] = nil
            output.events.append(.expiredLeaseRevokeFailed(leaseID: leaseID, reason: "\(failure.error)"))
        case .publish: publishInFlight = nil
        case .answered: break
        case .zooKeeper(let tag): performZooKeeper(zooKeeper.onProposalLost(tag: tag), &output)
        }
        return true
    }

    static func answer(_ result: KVStateMachine.Result) -> ClientAnswer {
        switch result {
        case .kv(let kv): .kv(kv)
        case .granted(let id, let ttlSeconds): .leaseGranted(id: id, ttlSeconds: ttlSeconds)
        case .revoked: .leaseRevoked
        }
    }

    // MARK: Reads

    private mutating func startRead(_ read: PendingRead, deadline: Int64, _ output: inout ServerOutput) {
        let number = takeRequestNumber()
        reads[number] = read
        if let context = readRounds.add(ReadRounds.Read(id: number, deadlineMilliseconds: deadline), nowMilliseconds: nowMilliseconds) {
            startReadRound(context, &output)
        }
    }

    mutating func startReadRound(_ context: UInt64, _ output: inout ServerOutput) {
        do throws(ConsensusRequestError) {
            absorb(try engine.readIndex(context: context), &output)
        } catch {
            for read in readRounds.refused(context) {
                guard let pending = reads.removeValue(forKey: read.id) else { continue }
                fail(pending.client, .server(.noLeader), &output)
            }
        }
    }

    /// Answers every read whose round's index is applied.
    mutating func serveReads(_ output: inout ServerOutput) {
        for read in readRounds.servable(appliedIndex: engine.appliedIndex) {
            guard let pending = reads.removeValue(forKey: read.id) else { continue }
            answerRead(pending, &output)
        }
    }

    /// Answers a read from the store as applied now, once its caller is
    /// allowed to make it (etcd 3.4 checks a range after its read index is
    /// reached, in `doSerialize`).
    private mutating func answerRead(_ read: PendingRead, _ output: inout ServerOutput) {
        let id = read.client
        let refusal: AuthError? =
            switch read.query {
            case .range(let range): auth.refusal(.range(range), caller: read.caller)
            case .txn(let txn): auth.refusal(.readOnlyTxn(txn, serializable: false), caller: read.caller)
            case .leaseIDs, .auth: nil
            }
        if let refusal { return fail(id, .auth(refusal), &output) }
        do throws(KVError) {
            switch read.query {
            case .range(let range): reply(id, .success(.range(try state.store.range(range))), &output)
            case .txn(let txn): reply(id, .success(.txn(try state.store.readOnlyTxn(txn))), &output)
            case .leaseIDs: reply(id, .success(.leaseIDs(state.leases.leaseIDs)), &output)
            case .auth(let query, let caller):
                do throws(AuthError) {
                    reply(id, .success(.auth(try auth.answer(query, caller: caller))), &output)
                } catch {
                    fail(id, .auth(error), &output)
                }
            }
        } catch {
            fail(id, .kv(error), &output)
        }
    }

    // MARK: Deadlines

    /// Fails everything whose deadline has passed, and retries a ReadIndex
    /// round left unanswered for an election timeout.
    mutating func expireRequests(_ output: inout ServerOutput) {
        let now = nowMilliseconds
        for number in proposals.filter({ $0.value.deadline <= now }).keys.sorted() {
            failProposal(number, .server(.timedOut), &output)
        }
        let (expired, retry) = readRounds.expire(nowMilliseconds: now)
        for read in expired {
            guard let pending = reads.removeValue(forKey: read.id) else { continue }
            fail(pending.client, .server(.timedOut), &output)
        }
        if let retry { startReadRound(retry, &output) }
        let expiredParked = parked.filter { $0.deadline <= now }
        parked.removeAll { $0.deadline <= now }
        for request in expiredParked { fail(request.client, .server(.noLeader), &output) }
        for number in leaseForwards.filter({ $0.value.deadline <= now }).keys.sorted() {
            guard let waiter = leaseForwards.removeValue(forKey: number) else { continue }
            fail(waiter.client, .server(.timedOut), &output)
        }
        let expiredChanges = memberRetries.filter { $0.deadline <= now }
        memberRetries.removeAll { $0.deadline <= now }
        for change in expiredChanges {
            switch change.purpose {
            case .member(let id), .client(let id): fail(id, .server(.timedOut), &output)
            case .publish: publishInFlight = nil
            case .expiredRevoke, .answered, .zooKeeper: break
            }
        }
        let expiredMoves = leaderMoves.filter { $0.deadline <= now }
        leaderMoves.removeAll { $0.deadline <= now }
        for move in expiredMoves { fail(move.client, .server(.leaderTransferTimedOut), &output) }
    }
}

extension LogPayload {
    /// The bytes of `.store(id, command)` from the command's bytes, without
    /// encoding the command again.
    static func encodedStore(_ id: ProposalID, commandBytes: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerBytes + commandBytes.count)
        bytes.append(version)
        bytes.append(Kind.store.rawValue)
        bytes.appendLittleEndian(id.proposer)
        bytes.appendLittleEndian(id.request)
        bytes.append(contentsOf: commandBytes)
        return bytes
    }
}
