import ConcordFoundation
import ConcordKV
import ConcordRaft
import ConcordZooKeeper

/// Every decision a Concord member makes, as a pure value: which client
/// requests to batch, what to write to the log, what to apply and answer,
/// when a read may be served, when a lease expires and who answers its
/// keep-alives, which watcher gets which event, who is a member and which
/// peers to talk to, when to take a snapshot.
///
/// Inputs arrive through the `on…` handlers (a client request, a peer
/// frame, a tick, the completion of a durable write, a flush of queued
/// proposals), each with the member's monotonic clock in milliseconds;
/// each returns a `ServerOutput` whose ordering contract the shell
/// follows. There is no clock, no I/O, no task and no randomness but the
/// seeded generator handed in: the runtime's `ConcordNode` is one shell
/// (files, sockets, timers), the simulator's server adapter is another, and
/// both run this same code.
///
/// Design notes:
/// - Writes are wrapped in a `LogPayload` naming this member and a request
///   number; whichever replica applies the entry, only the proposer answers
///   its client. When the leader changes before a write is applied, the
///   proposer proposes it again (the first copy may have been lost with the
///   old leader); the replicated duplicate filter (`AppliedProposals`)
///   applies a payload once.
/// - Linearizable reads go through ReadIndex rounds (thesis §6.4) that
///   reads arriving together share (`ReadRounds`); serializable reads are
///   answered from the local store at once.
/// - Lease keep-alives are answered by the leader from its in-memory
///   expiry times; a follower forwards them. Expired leases are revoked
///   through the log by the leader.
public struct ServerCore: Sendable {
    /// The core's settings.
    public let configuration: ServerCoreConfiguration
    /// The cluster id frames are sent and checked with (0 while a member
    /// that joined a running cluster has not learned it).
    public internal(set) var clusterID: UInt64

    /// The replication engine; the core never asks which one it is.
    var engine: any ConsensusEngine
    var state: KVStateMachine
    var hub: WatchHub
    var registry: MemberRegistry
    var appliedProposals: AppliedProposals
    var auth: AuthStore
    /// The member's ZooKeeper face and replica (`ServerCore+ZooKeeper`).
    var zooKeeper: ZooKeeper.Server
    /// The simple tokens assigned through the log, with their expiry on
    /// this member's clock; not replicated state (not in snapshots).
    var tokens = SimpleTokens()
    var random: SeededRandom
    var nowMilliseconds: Int64
    var nextRequestNumber: UInt64

    // Requests in flight.
    var queuedProposals: [UInt64] = []
    var flushPending = false
    var proposals: [UInt64: PendingProposal] = [:]
    var parked: [ParkedRequest] = []
    var readRounds: ReadRounds
    var reads: [UInt64: PendingRead] = [:]
    var leaseForwards: [UInt64: PendingLeaseForward] = [:]
    var memberRetries: [PendingMemberChange] = []
    var leaderMoves: [PendingLeaderMove] = []
    var revokesInFlight: [Int64: UInt64] = [:]
    var publishInFlight: UInt64?
    var nextPublishMilliseconds: Int64 = 0

    // Watch streams.
    var watchStreams: Set<Int64> = []
    var nextWatchStreamID: Int64 = 1
    var watchWorkMayWait = false
    var skipNextWatchEvents = false

    // Membership and peers.
    var transportPeers: [UInt64: String] = [:]
    var lingeringPeers: [UInt64: Int64] = [:]
    var peerActivity: PeerActivity
    var isRemoved = false
    var reportedOtherID = false
    var lastLeader: MemberID?
    var wasLeader = false
    /// The snapshot the shell is encoding (`encodesSnapshotsInShell`).
    var snapshotEncoding: SnapshotEncoding?

    /// Opens a member from its durable state (what the write-ahead log and
    /// the latest snapshot hold).
    /// - Parameters:
    ///   - configuration: the member's settings.
    ///   - durable: what the write-ahead log holds (its records are
    ///     Raft-shaped for either engine); `ServerCore.bootstrapState` for
    ///     a new data directory.
    ///   - seed: the seed of every random choice (election timeouts, lease
    ///     ids, request numbers).
    ///   - nowMilliseconds: the member's monotonic clock.
    ///   - snapshotFiles: where Raft reads the durable snapshot's chunks and
    ///     stores a received snapshot's (the data directory's snapshot
    ///     files); nil keeps them in memory.
    /// - Throws: `ServerCoreError` for a configuration that cannot run or a
    ///   snapshot that does not decode.
    public init(
        configuration: ServerCoreConfiguration, durable: RaftDurableState, seed: UInt64, nowMilliseconds: Int64,
        snapshotFiles: (any SnapshotFiles)? = nil
    ) throws(ServerCoreError) {
        let problems = configuration.problems
        guard problems.isEmpty else { throw .invalidConfiguration(problems.joined(separator: "; ")) }
        self.configuration = configuration
        clusterID = configuration.clusterID
        random = SeededRandom(seed: seed)
        self.nowMilliseconds = nowMilliseconds
        engine = try configuration.makeEngine(
            restoring: durable, random: SplitMix64(seed: random.next()), snapshotFiles: snapshotFiles)
        let restored: Restored
        do {
            restored = try Self.restore(durable.snapshot, configuration)
        } catch {
            throw .corruptSnapshot(index: durable.snapshot.metadata.index, reason: "\(error)")
        }
        registry = restored.registry
        state = restored.state
        appliedProposals = restored.appliedProposals
        auth = restored.auth
        zooKeeper = Self.makeZooKeeperServer(configuration, state: restored.zooKeeper, seed: seed)
        hub = WatchHub(currentRevision: state.store.currentRevision, limits: configuration.watchLimits)
        nextRequestNumber = random.next(below: UInt64.max / 2) + 1
        readRounds = ReadRounds(
            firstContext: random.next(below: UInt64.max / 2) + 1,
            retryMilliseconds: Int64(configuration.electionTimeoutMilliseconds))
        peerActivity = PeerActivity(gapMilliseconds: Int64(configuration.electionTimeoutMilliseconds))
    }

    // MARK: Views

    /// This member's id.
    public var memberID: UInt64 { configuration.memberID }
    /// The current term.
    public var term: UInt64 { engine.term }
    /// The leader this member knows, if any.
    public var leader: MemberID? { engine.leader }
    /// The member this one voted for in the current term, if any.
    public var vote: MemberID? { engine.vote }
    /// This member's role.
    public var role: RaftRole { engine.role }
    /// The store's current revision.
    public var revision: Int64 { state.store.currentRevision }
    /// The highest applied log index.
    public var appliedIndex: UInt64 { engine.appliedIndex }
    /// The highest committed log index.
    public var commitIndex: UInt64 { engine.commitIndex }
    /// The index of the latest snapshot.
    public var snapshotIndex: UInt64 { engine.snapshotIndex }
    /// The configuration in force (on Multi-Paxos, the fixed group).
    public var membership: ConfigurationState { engine.membership }
    /// True once this member applied its own removal.
    public var isRemovedFromCluster: Bool { isRemoved }
    /// The replicated state: the MVCC store and the leases.
    public var stateMachine: KVStateMachine { state }
    /// The replicated member registry.
    public var memberRegistry: MemberRegistry { registry }
    /// The replicated auth store: users, roles, permissions.
    public var authStore: AuthStore { auth }

    /// The caller a simple token stands for, renewing it; nil for a
    /// token this member does not know, or one that expired or whose user
    /// was deleted or changed password.
    public mutating func caller(forToken token: String, nowMilliseconds now: Int64) -> AuthCaller? {
        advance(now)
        return tokens.resolve(token, store: auth, nowMilliseconds: nowMilliseconds)
    }
    /// What the engine's own checks tolerated (for the simulator's monitor).
    public var toleratedViolations: [String] { engine.toleratedViolations }
    /// The committed entry at `index`, while the log still holds it.
    public func entry(at index: UInt64) -> LogEntry? { engine.entry(at: index) }

    /// True while this member is a learner of the configuration in force.
    public var isLearner: Bool {
        engine.membership.learners.contains(memberID) || engine.membership.learnersNext.contains(memberID)
    }

    /// Every member: ids, names, URLs, and whether each is a learner (as
    /// Raft's configuration in force says).
    public func memberList() -> [MemberRecord] {
        let learners = engine.membership.learners.union(engine.membership.learnersNext)
        return registry.sortedMembers.map { member in
            var member = member
            member.isLearner = learners.contains(member.id)
            return member
        }
    }

    /// The encoded key-value state machine (store and leases), as a
    /// snapshot file holds it, with the revision and applied index it
    /// reflects.
    public func stateSnapshot() -> (data: [UInt8], revision: Int64, appliedIndex: UInt64) {
        (state.snapshot(), state.store.currentRevision, engine.appliedIndex)
    }

    /// An upper bound of `stateSnapshot().data.count`, with the revision
    /// and applied index: what a status request reports, without encoding
    /// the whole state for it.
    public func stateSizeBound() -> (bytes: Int, revision: Int64, appliedIndex: UInt64) {
        (state.snapshotBytesBound, state.store.currentRevision, engine.appliedIndex)
    }

    /// A 32-bit FNV-1a hash of every retained version of every key with a
    /// main revision at or below `revision` (0: the current revision), in
    /// revision order. Members that applied the same log hash equally.
    /// - Throws: `KVError.compacted` or `KVError.futureRevision` as etcd.
    public func hashKV(revision: Int64) throws(KVError) -> (hash: UInt32, hashedRevision: Int64, compactRevision: Int64, currentRevision: Int64) {
        let store = state.store
        let upTo = revision == 0 ? store.currentRevision : revision
        guard upTo <= store.currentRevision else { throw .futureRevision }
        guard upTo >= store.compactedRevision else { throw .compacted }
        return (KVHash.hash(store, upTo: upTo), upTo, store.compactedRevision, store.currentRevision)
    }

    // MARK: Inputs

    /// Starts the member: points the transport at its peers, and lets a
    /// lone voter elect itself without waiting out a timeout.
    public mutating func start(nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        reconcileMembership(&output)
        if engine.membership.voters == [memberID] && !engine.membership.isJoint {
            absorb(engine.campaign(), &output)
        }
        finish(&output)
        return output
    }

    /// One tick of the member's clock.
    public mutating func onTick(nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        absorb(engine.tick(), &output)
        expireRequests(&output)
        retryMemberChanges(&output)
        revokeExpiredLeases(&output)
        publishIfNeeded(&output)
        forgetLingeringPeers(&output)
        tickZooKeeper(&output)
        hub.onTick()
        watchWorkMayWait = true
        finish(&output)
        return output
    }

    /// Every persist request up to `sequence` is durable.
    public mutating func onPersisted(upTo sequence: UInt64, nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        absorb(engine.onPersisted(upTo: sequence), &output)
        finish(&output)
        return output
    }

    /// A frame from peer `sender` (as the transport identified it).
    /// Undecodable, misaddressed and unexpected frames are dropped and
    /// reported as events.
    public mutating func onPeerFrame(_ bytes: [UInt8], from sender: UInt64, nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        guard let addressed = admit(bytes, from: sender, &output) else {
            finish(&output)
            return output
        }
        peerActivity.heard(from: sender, now: now)
        switch addressed.frame {
        case .raft(let message):
            absorb(engine.step(.raft(message)), &output)
        case .multiPaxos(let message):
            absorb(engine.step(.multiPaxos(message)), &output)
        case .leaseRequest(let requestID, let request):
            let answer = answerLease(request)
            output.frames.append(OutgoingFrame(to: sender, frame: .leaseResponse(requestID: requestID, answer)))
        case .leaseResponse(let requestID, let response):
            receiveLeaseAnswer(requestID, response, from: sender, &output)
        case .dynamo(let message):
            // The available store's message, admitted like any frame (of
            // this cluster, from a member not removed, addressed here);
            // the shell hands it to the member's store.
            output.storeMessages.append(IncomingStoreMessage(from: sender, messages: [message]))
        case .dynamoBatch(let messages):
            output.storeMessages.append(IncomingStoreMessage(from: sender, messages: messages))
        case .zooKeeperSessionsTouched(let sessions):
            // Ignored unless this member leads (the server checks).
            zooKeeper.onSessionsTouched(sessions)
        }
        finish(&output)
        return output
    }

    /// A client request. Serializable reads and refusals are answered in
    /// the returned output; everything else later.
    /// - Parameter caller: the user the request's token (or client
    ///   certificate) names, nil for none; while auth is enabled the
    ///   request must be allowed to it (`AuthStore.refusal`).
    public mutating func onRequest(
        _ id: ClientRequestID, _ request: ClientRequest, caller: AuthCaller? = nil, nowMilliseconds now: Int64
    ) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        dispatch(id, request, caller: caller, deadline: now + Int64(configuration.requestTimeoutMilliseconds), &output)
        finish(&output)
        return output
    }

    /// Hands every queued proposal to the engine, in batches of at most
    /// `proposalBatchBytesMax`: the proposals of all clients that arrived
    /// since the last flush travel together.
    public mutating func onFlush(nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        flushProposals(&output)
        finish(&output)
        return output
    }

    // MARK: Helpers shared by the handlers

    mutating func advance(_ now: Int64) {
        // The shell's clock is monotonic; a value from the past changes nothing.
        nowMilliseconds = max(nowMilliseconds, now)
    }

    mutating func takeRequestNumber() -> UInt64 {
        defer { nextRequestNumber &+= 1 }
        return nextRequestNumber
    }

    /// Performs an engine's output in the order `ConsensusOutput` documents.
    mutating func absorb(_ engineOutput: ConsensusOutput, _ output: inout ServerOutput) {
        if let request = engineOutput.persist { output.persist.append(request) }
        for message in engineOutput.messages {
            output.frames.append(OutgoingFrame(to: message.to, frame: PeerFrame(message)))
        }
        if let snapshot = engineOutput.snapshotToInstall {
            install(snapshot, &output)
            if output.fatal != nil { return }
        }
        for entry in engineOutput.committedEntries { apply(entry, &output) }
        if !engineOutput.committedEntries.isEmpty { takeSnapshotIfDue(&output) }
        var roundsToStart: [UInt64] = []
        for readState in engineOutput.readStates {
            if let next = readRounds.readIndex(readState.index, context: readState.context, nowMilliseconds: nowMilliseconds) {
                roundsToStart.append(next)
            }
        }
        if !engineOutput.readStates.isEmpty || !engineOutput.committedEntries.isEmpty || engineOutput.snapshotToInstall != nil {
            serveReads(&output)
        }
        if let change = engineOutput.roleChange { roleChanged(change, &output) }
        for context in roundsToStart { startReadRound(context, &output) }
    }

    /// Completes an output: names the watch streams with work.
    mutating func finish(_ output: inout ServerOutput) {
        guard watchWorkMayWait else { return }
        watchWorkMayWait = false
        for stream in watchStreams.sorted() where watchStreamHasWork(stream) {
            output.watchStreamsWithWork.append(stream)
        }
    }

    mutating func reply(_ id: ClientRequestID, _ result: Result<ClientAnswer, RequestFailure>, _ output: inout ServerOutput) {
        output.replies.append(ServerReply(request: id, result: result, term: engine.term, revision: state.store.currentRevision))
    }

    mutating func fail(_ id: ClientRequestID, _ failure: RequestFailure, _ output: inout ServerOutput) {
        reply(id, .failure(failure), &output)
    }

    private mutating func roleChanged(_ change: RoleState, _ output: inout ServerOutput) {
        output.events.append(.roleChanged(change))
        let isLeader = change.role == .leader
        if isLeader && !wasLeader {
            state.onBecameLeader(nowMilliseconds: nowMilliseconds, extendMilliseconds: Int64(configuration.electionTimeoutMilliseconds))
            if configuration.bugs.contains(.skipWatchEventAfterLeaderChange) { skipNextWatchEvents = true }
        } else if !isLeader && wasLeader {
            state.onBecameFollower()
        }
        zooKeeperRoleChanged(isLeader: isLeader, wasLeader: wasLeader)
        wasLeader = isLeader
        if change.leader != lastLeader {
            lastLeader = change.leader
            failLeaseForwards(.leaderChanged, unlessLeader: change.leader, &output)
            if let leader = change.leader {
                reproposeAfterLeaderChange(to: leader, &output)
                dispatchParked(&output)
            }
        }
        resolveLeaderMoves(&output)
    }
}

/// Why a `ServerCore` could not be opened.
public enum ServerCoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration cannot run.
    case invalidConfiguration(String)
    /// The durable snapshot at `index` does not decode.
    case corruptSnapshot(index: UInt64, reason: String)

    /// A readable description.
    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): reason
        case .corruptSnapshot(let index, let reason): "snapshot \(index): \(reason)"
        }
    }
}
