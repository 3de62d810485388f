import ConcordKV
import ConcordRaft
import ConcordStorage
import ConcordTransport
import Dispatch
import Logging
import NIOCore
import Synchronization

/// One Concord replica: the shell that drives a `RaftNode` with real time,
/// real files and real sockets, and applies the committed log to a
/// `KVStateMachine` (the MVCC store and the lease table).
///
/// The node follows `RaftOutput`'s ordering contract exactly: persist
/// requests go, in order, to a serial queue that writes them to the
/// `RaftLogStore` (each write is durable when it returns) and then reports
/// `onPersisted`; messages are sent at once; a snapshot from the leader
/// replaces the store before committed entries are applied; read states
/// wait until their index is applied.
///
/// Writes: a client's command is wrapped in a `ProposalEnvelope` naming
/// this node and a request id, and proposed. A follower's RaftNode forwards
/// the proposal to the leader over the peer transport; whichever replica
/// applies the entry, only the proposer answers its waiting client.
/// Linearizable reads use ReadIndex (thesis §6.4); serializable reads are
/// served from the local store at once.
public actor ConcordNode {
    /// The node's settings.
    public nonisolated let configuration: NodeConfiguration
    /// The node's metrics.
    public nonisolated let metrics: ServerMetrics
    nonisolated let logger: Logger
    private nonisolated let leaderKnown = Atomic<Bool>(false)

    var raft: RaftNode
    private nonisolated let logStore: Storage.RaftLogStore
    var state: KVStateMachine
    private var store: MVCCStore { state.store }
    private let limits: KVLimits
    var transport: PeerTransport?
    private nonisolated let persistPipeline: PersistPipeline
    private nonisolated let persistedSequences: AsyncStream<UInt64>
    var nextRequestID: UInt64
    private var proposals: [UInt64: ProposalWaiter] = [:]
    private var readRounds: ReadRounds
    private var readContinuations: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var queuedProposals: [(requestID: UInt64, entry: ProposedEntry)] = []
    private var proposalFlushScheduled = false
    private var tasks: [Task<Void, Never>] = []
    var stopped = false
    private var lastLeader: ReplicaID?
    private var wasLeader = false
    private nonisolated let startInstant = ContinuousClock.now
    private var revokesInFlight: Set<Int64> = []
    private var hub: WatchHub
    private var watchWakers: [Int64: AsyncStream<Void>.Continuation] = [:]
    /// Lease keep-alives and time-to-live queries forwarded to the leader,
    /// awaiting its answer (see ConcordNode+LeaseForwarding.swift).
    var leaseForwards: [UInt64: LeaseForwardWaiter] = [:]
    private var nextWatchStreamID: Int64 = 1
    var membershipState: MembershipShellState

    /// The most queued watch responses one stream takes per wake-up (a slow
    /// client makes the server take less).
    private static let watchResponsesPerTakeMax = 64

    /// Milliseconds on this node's monotonic clock (lease expiry).
    nonisolated var nowMilliseconds: Int64 {
        let elapsed = ContinuousClock.now - startInstant
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private var electionMilliseconds: Int64 { Int64(configuration.electionTimeoutMilliseconds) }

    /// The most expired leases the leader revokes per tick (etcd rate-limits
    /// revokes the same way).
    private static let expiredLeasesPerTickMax = 500

    private struct ProposalWaiter {
        var continuation: CheckedContinuation<KVStateMachine.Result, any Error>
        var deadline: ContinuousClock.Instant
    }

    /// The most bytes of proposals handed to Raft together (they travel
    /// in one append, or one forwarded message on a follower).
    private static let proposalBatchBytesMax = 512 * 1024

    /// Opens (or creates) the data directory and restores the store from
    /// the latest snapshot; the log after it is re-applied as Raft hands
    /// out the committed entries.
    /// - Throws: `ServerConfigurationError` for a bad configuration,
    ///   `RaftStorageError` for a data directory that cannot be used.
    public init(configuration: NodeConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics()) throws {
        let problems = configuration.problems
        guard problems.isEmpty else { throw ServerConfigurationError.invalid(problems.joined(separator: "; ")) }
        var configuration = configuration
        try Self.createDirectory(configuration.dataDirectory)
        try Self.resolveIdentity(&configuration, hasData: Self.directoryHasData(configuration.dataDirectory))
        self.configuration = configuration
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "member"] = "\(configuration.name)"
        self.logger = logger

        logStore = try Storage.RaftLogStore.open(
            directory: configuration.dataDirectory, bootstrap: Self.initialDurableState(configuration))
        let durable = try logStore.load()
        let (persistedSequences, persistedContinuation) = AsyncStream<UInt64>.makeStream()
        self.persistedSequences = persistedSequences
        persistPipeline = PersistPipeline(
            store: logStore,
            onPersisted: { [metrics] sequence, _, nanoseconds in
                metrics.fsyncDuration.recordNanoseconds(nanoseconds)
                persistedContinuation.yield(sequence)
            },
            onFailure: { [logger] error in
                // Invariant: an acknowledged write is durable. A node that
                // cannot write its log must not go on answering.
                logger.critical("cannot persist Raft state; stopping", metadata: ["error": "\(error)"])
                fatalError("cannot persist Raft state: \(error)")
            })

        var raftConfiguration = RaftConfiguration(id: configuration.memberID)
        raftConfiguration.electionTimeoutTicks = configuration.electionTimeoutTicks
        raftConfiguration.heartbeatIntervalTicks = configuration.heartbeatIntervalTicks
        raftConfiguration.proposalBytesMax = configuration.requestBytesMax + ProposalEnvelope.headerBytes
        raftConfiguration.bytesPerMessageMax = 1 << 20
        raft = RaftNode(configuration: raftConfiguration, restoring: durable, random: SystemRandomNumberGenerator())
        limits = KVLimits(requestBytesMax: configuration.requestBytesMax)
        let stored: (registry: MemberRegistry, stateMachine: [UInt8])
        do {
            stored = try Self.splitSnapshot(durable.snapshot, configuration)
        } catch {
            logStore.close()
            throw RaftStorageError.corrupted("snapshot \(durable.snapshot.metadata.index) in \(configuration.dataDirectory): \(error)")
        }
        membershipState = MembershipShellState(registry: stored.registry)
        if stored.stateMachine.isEmpty {
            state = KVStateMachine(limits: limits, ttlSecondsMin: configuration.leaseTTLSecondsMin)
        } else {
            do {
                state = try KVStateMachine(
                    snapshot: stored.stateMachine, limits: limits, ttlSecondsMin: configuration.leaseTTLSecondsMin)
            } catch {
                logStore.close()
                throw RaftStorageError.corrupted("snapshot \(durable.snapshot.metadata.index) in \(configuration.dataDirectory): \(error)")
            }
        }
        hub = WatchHub(currentRevision: state.store.currentRevision)
        nextRequestID = UInt64.random(in: 1...(UInt64.max / 2))
        readRounds = ReadRounds(
            firstContext: UInt64.random(in: 1...(UInt64.max / 2)),
            retryMilliseconds: Int64(configuration.electionTimeoutMilliseconds))
        logger.info(
            "node opened",
            metadata: [
                "id": "\(String(configuration.memberID, radix: 16))", "data-dir": "\(configuration.dataDirectory)",
                "snapshot-index": "\(durable.snapshot.metadata.index)", "log-entries": "\(durable.entries.count)",
                "term": "\(durable.hardState.term)", "commit": "\(durable.hardState.commit)",
            ])
    }

    // MARK: Lifecycle

    /// Starts listening for peers and ticking. Returns once the peer port is bound.
    /// - Returns: The peer port bound.
    @discardableResult
    public func start(group: any EventLoopGroup) async throws -> Int {
        let (stream, continuation) = AsyncStream<(UInt64, [UInt8])>.makeStream(bufferingPolicy: .bufferingOldest(16_384))
        var transportConfiguration = Transport.Configuration()
        transportConfiguration.frameBytesMax = max(8 << 20, 2 * configuration.requestBytesMax + (1 << 20))
        let transport = PeerTransport(
            localID: configuration.memberID, configuration: transportConfiguration, tls: configuration.peerTLS, group: group,
            logger: logger,
            receiver: { sender, payload in continuation.yield((sender, payload)) })
        let port = try await transport.listen(host: configuration.peerListen.host, port: configuration.peerListen.port)
        self.transport = transport
        reconcileMembership()
        let persistedSequences = self.persistedSequences
        tasks.append(
            Task { [weak self] in
                for await sequence in persistedSequences {
                    guard let self else { return }
                    await self.persisted(upTo: sequence)
                }
            })
        tasks.append(
            Task { [weak self] in
                for await (sender, payload) in stream {
                    guard let self else { return }
                    await self.receive(from: sender, payload)
                }
            })
        let tick = Duration.milliseconds(configuration.tickMilliseconds)
        tasks.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    guard let self else { return }
                    await self.tick()
                }
            })
        tasks.append(Task { [weak self] in await self?.publishWhileNeeded() })
        // A lone member elects itself without waiting a timeout.
        if raft.membership.voters == [configuration.memberID] && !raft.membership.isJoint { handle(raft.campaign()) }
        logger.info("listening for peers", metadata: ["peer-url": "\(configuration.peerListen.host):\(port)"])
        return port
    }

    /// Stops ticking, fails every waiting client, closes the peer transport
    /// and the data directory.
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for task in tasks { task.cancel() }
        tasks = []
        failAll(ServerError.stopping)
        stopMembership()
        for waker in watchWakers.values { waker.finish() }
        watchWakers = [:]
        await transport?.shutdown()
        transport = nil
        let logStore = self.logStore
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            persistPipeline.afterQueuedWork {
                logStore.close()
                done.resume()
            }
        }
        logger.info("node stopped")
    }

    // MARK: Views

    /// True while this node knows a leader (what `/health` reports).
    public nonisolated var hasLeader: Bool { leaderKnown.load(ordering: .relaxed) }

    /// The current term.
    public var term: UInt64 { raft.term }

    /// The leader this node knows, if any.
    public var leader: ReplicaID? { raft.leader }

    /// This node's role.
    public var role: RaftRole { raft.role }

    /// The store's current revision.
    public var revision: Int64 { store.currentRevision }

    /// The highest applied log index.
    public var appliedIndex: UInt64 { raft.appliedIndex }

    /// The index of the latest snapshot.
    public var snapshotIndex: UInt64 { raft.snapshotIndex }

    // MARK: Maintenance

    /// The encoded key-value state machine (store and leases), as a Raft
    /// snapshot holds it, with the revision and applied index it reflects.
    public func stateSnapshot() -> (data: [UInt8], revision: Int64, appliedIndex: UInt64) {
        (state.snapshot(), store.currentRevision, raft.appliedIndex)
    }

    /// A 32-bit FNV-1a hash of every retained version of every key with a
    /// main revision at or below `revision` (0: the current revision), in
    /// revision order. Members that applied the same log hash equally.
    /// - Returns: the hash, the revision hashed, the compacted revision and
    ///   the store's current revision.
    /// - Throws: `KVError.compacted` or `KVError.futureRevision` as etcd.
    public func hashKV(revision: Int64) throws(KVError) -> (hash: UInt32, hashedRevision: Int64, compactRevision: Int64, currentRevision: Int64) {
        let upTo = revision == 0 ? store.currentRevision : revision
        guard upTo <= store.currentRevision else { throw .futureRevision }
        guard upTo >= store.compactedRevision else { throw .compacted }
        let hash = KVHash.hash(store, upTo: upTo)
        return (hash, upTo, store.compactedRevision, store.currentRevision)
    }

    /// Hands leadership to `target` through Raft's TimeoutNow and waits
    /// until this node sees it lead.
    /// - Throws: `ServerError.notLeader` on a follower,
    ///   `ServerError.badLeaderTransferee` for a target that is not a
    ///   voter, `ServerError.leaderTransferTimedOut` past the request
    ///   timeout.
    public func moveLeader(to target: ReplicaID) async throws {
        guard !stopped else { throw ServerError.stopping }
        guard raft.role == .leader else { throw ServerError.notLeader }
        if target == configuration.memberID { return }
        do throws(RaftRequestError) {
            handle(try raft.transferLeadership(to: target))
        } catch {
            switch error {
            case .notLeader: throw ServerError.notLeader
            default: throw ServerError.badLeaderTransferee
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(configuration.requestTimeoutMilliseconds)
        while raft.leader != target {
            guard !stopped else { throw ServerError.stopping }
            guard ContinuousClock.now < deadline else { throw ServerError.leaderTransferTimedOut }
            try await Task.sleep(for: .milliseconds(configuration.tickMilliseconds))
        }
    }

    // MARK: Client requests

    /// Reads a range: after a ReadIndex round unless the request is
    /// serializable.
    /// - Throws: `KVError` or `ServerError`.
    public func range(_ request: RangeRequest) async throws -> (RangeResponse, term: UInt64) {
        if !request.serializable { try await readBarrier() }
        return (try store.range(request), raft.term)
    }

    /// Serves a transaction that only reads, after a ReadIndex round.
    /// - Throws: `KVError` or `ServerError`.
    public func readOnlyTxn(_ request: TxnRequest, serializable: Bool) async throws -> (TxnResponse, term: UInt64) {
        if !serializable { try await readBarrier() }
        return (try store.readOnlyTxn(request), raft.term)
    }

    /// Proposes a write and waits until it is applied here.
    /// - Throws: `KVError` (refused by validation or by the store when
    ///   applied) or `ServerError`.
    public func write(_ command: KVCommand) async throws -> (KVResult, term: UInt64) {
        try store.validate(command)
        let (result, term) = try await propose(.kv(command))
        guard case .kv(let kvResult) = result else { throw ServerError.proposalRefused("unexpected result \(result)") }
        return (kvResult, term)
    }

    /// Proposes a state machine command and waits until it is applied here.
    /// - Throws: `KVError`, `LeaseError` or `ServerError`.
    func propose(_ command: StoreCommand) async throws -> (KVStateMachine.Result, term: UInt64) {
        let encoded = command.encoded()
        guard encoded.count <= limits.requestBytesMax else { throw KVError.requestTooLarge }
        guard !stopped else { throw ServerError.stopping }
        let deadline = ContinuousClock.now + .milliseconds(configuration.requestTimeoutMilliseconds)
        try await waitForLeader(until: deadline)
        let requestID = nextRequestID
        nextRequestID &+= 1
        let envelope = ProposalEnvelope(proposer: configuration.memberID, requestID: requestID, command: encoded)
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KVStateMachine.Result, any Error>) in
            proposals[requestID] = ProposalWaiter(continuation: continuation, deadline: deadline)
            queuedProposals.append((requestID, ProposedEntry(data: envelope.encoded)))
            if !proposalFlushScheduled {
                proposalFlushScheduled = true
                Task { self.flushProposals() }
            }
        }
        return (result, raft.term)
    }

    /// Hands every queued proposal to Raft, in batches: the proposals of
    /// all clients that arrived while the node was busy travel together.
    private func flushProposals() {
        proposalFlushScheduled = false
        var queued = queuedProposals[...]
        queuedProposals = []
        while !queued.isEmpty {
            var bytes = 0
            var count = 0
            for item in queued {
                if count > 0 && bytes + item.entry.data.count > Self.proposalBatchBytesMax { break }
                bytes += item.entry.data.count
                count += 1
            }
            let batch = queued.prefix(count)
            queued = queued.dropFirst(count)
            guard !stopped else {
                failProposals(batch.map(\.requestID), ServerError.stopping)
                continue
            }
            do throws(RaftRequestError) {
                handle(try raft.propose(batch: batch.map(\.entry)))
            } catch {
                switch error {
                case .notLeader: failProposals(batch.map(\.requestID), ServerError.noLeader)
                default: failProposals(batch.map(\.requestID), ServerError.proposalRefused("\(error)"))
                }
            }
        }
    }

    private func failProposals(_ requestIDs: [UInt64], _ error: ServerError) {
        for requestID in requestIDs {
            guard let waiter = proposals.removeValue(forKey: requestID) else { continue }
            metrics.proposalsFailed.increment()
            waiter.continuation.resume(throwing: error)
        }
    }

    /// Waits until this node has applied everything committed when the
    /// call was made, as confirmed by the leader (ReadIndex). Reads that
    /// arrive together share one round (`ReadRounds`).
    private func readBarrier() async throws {
        guard !stopped else { throw ServerError.stopping }
        let deadline = ContinuousClock.now + .milliseconds(configuration.requestTimeoutMilliseconds)
        try await waitForLeader(until: deadline)
        let id = nextRequestID
        nextRequestID &+= 1
        let now = nowMilliseconds
        let read = ReadRounds.Read(id: id, deadlineMilliseconds: now + Int64(configuration.requestTimeoutMilliseconds))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            readContinuations[id] = continuation
            if let context = readRounds.add(read, nowMilliseconds: now) { startReadRound(context) }
        }
    }

    private func startReadRound(_ context: UInt64) {
        do {
            handle(try raft.readIndex(context: context))
        } catch {
            for read in readRounds.refused(context) {
                readContinuations.removeValue(forKey: read.id)?.resume(throwing: ServerError.noLeader)
            }
        }
    }

    /// While no leader is known (an election is under way), waits for one,
    /// checking every tick, as etcd does, rather than failing at once.
    func waitForLeader(until deadline: ContinuousClock.Instant) async throws {
        while raft.leader == nil {
            guard !stopped else { throw ServerError.stopping }
            guard ContinuousClock.now < deadline else { throw ServerError.noLeader }
            try await Task.sleep(for: .milliseconds(configuration.tickMilliseconds))
        }
    }

    // MARK: Leases

    /// Grants a lease; the leader-side ID is chosen here when `id` is 0.
    /// - Throws: `LeaseError` or `ServerError`.
    public func grantLease(id: Int64, ttlSeconds: Int64) async throws -> (id: Int64, ttlSeconds: Int64, term: UInt64) {
        var chosen = id
        if chosen == 0 {
            var generator = SystemRandomNumberGenerator()
            chosen = state.leases.unusedID(using: &generator)
        }
        _ = try state.leases.checkGrant(id: chosen, ttlSeconds: ttlSeconds)
        let (result, term) = try await propose(.lease(.grant(id: chosen, ttlSeconds: ttlSeconds)))
        guard case .granted(let granted, let ttl) = result else { throw ServerError.proposalRefused("unexpected result \(result)") }
        return (granted, ttl, term)
    }

    /// Revokes a lease, deleting its keys.
    /// - Throws: `LeaseError` or `ServerError`.
    public func revokeLease(id: Int64) async throws -> (revision: Int64, term: UInt64) {
        let (result, term) = try await propose(.lease(.revoke(id: id)))
        guard case .revoked(_, let revision) = result else { throw ServerError.proposalRefused("unexpected result \(result)") }
        return (revision, term)
    }

    /// Every lease ID, after a ReadIndex round.
    public func leaseIDs() async throws -> (ids: [Int64], revision: Int64, term: UInt64) {
        try await readBarrier()
        return (state.leases.leaseIDs, store.currentRevision, raft.term)
    }

    // MARK: Watch streams

    /// What a client sends on a watch stream.
    enum WatchStreamRequest: Sendable {
        case create(WatchCreateRequest)
        case cancel(watchID: Int64)
        case progress
    }

    /// Opens a watch stream on this node.
    /// - Returns: its ID and a sequence that yields whenever the stream may
    ///   have responses to take.
    func openWatchStream() -> (id: Int64, wakeups: AsyncStream<Void>) {
        let id = nextWatchStreamID
        nextWatchStreamID += 1
        let (wakeups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        watchWakers[id] = continuation
        return (id, wakeups)
    }

    /// Handles one request of watch stream `id`.
    func watchRequest(stream id: Int64, _ request: WatchStreamRequest) {
        guard watchWakers[id] != nil else { return }
        switch request {
        case .create(let create): hub.onCreate(stream: id, create, store: state.store)
        case .cancel(let watchID): hub.onCancel(stream: id, watchID: watchID)
        case .progress: hub.onProgressRequest(stream: id)
        }
        watchWakers[id]?.yield()
    }

    /// Takes the next responses of watch stream `id` (at most
    /// `watchResponsesPerTakeMax`; the stream is woken again if more wait).
    func takeWatchResponses(stream id: Int64) -> (responses: [WatchResponse], term: UInt64) {
        let responses = hub.takeResponses(stream: id, store: state.store, maxEntries: Self.watchResponsesPerTakeMax)
        if !responses.isEmpty && watchStreamHasWork(id) { watchWakers[id]?.yield() }
        return (responses, raft.term)
    }

    /// Forgets watch stream `id` and its watchers.
    func closeWatchStream(_ id: Int64) {
        hub.onStreamClosed(stream: id)
        watchWakers.removeValue(forKey: id)?.finish()
    }

    private func wakeWatchStreams() {
        for (id, waker) in watchWakers where watchStreamHasWork(id) { waker.yield() }
    }

    /// Whether stream `id` has queued responses or a watcher catching up.
    private func watchStreamHasWork(_ id: Int64) -> Bool {
        hub.queuedEntryCount(stream: id) > 0
            || hub.watchIDs(stream: id).contains { hub.isSynced(stream: id, watchID: $0) == false }
    }

    // MARK: Inputs

    private func receive(from sender: UInt64, _ payload: [UInt8]) {
        guard !stopped else { return }
        if LeaseForwardCodec.isLeaseForwardFrame(payload) { return receiveLeaseForward(from: sender, payload) }
        guard let message = admitPeerFrame(payload, from: sender) else { return }
        handle(raft.step(message))
    }

    private func tick() {
        guard !stopped else { return }
        handle(raft.tick())
        expireWaiters()
        expireMemberWaiters()
        expireLeaseForwards()
        revokeExpiredLeases()
        hub.onTick()
        wakeWatchStreams()
    }

    private func persisted(upTo sequence: UInt64) {
        guard !stopped else { return }
        handle(raft.onPersisted(upTo: sequence))
    }

    // MARK: Output

    /// Performs one output in the order `RaftOutput` documents.
    func handle(_ output: RaftOutput) {
        if let request = output.persist { persist(request) }
        if let transport {
            for message in output.messages {
                do {
                    try transport.send(to: message.to, RaftMessageCodec.encode(message, clusterID: configuration.clusterID))
                } catch {
                    logger.debug("cannot send peer message", metadata: ["to": "\(message.to)", "error": "\(error)"])
                }
            }
        }
        if let snapshot = output.snapshotToInstall { install(snapshot) }
        for entry in output.committedEntries { apply(entry) }
        if !output.committedEntries.isEmpty {
            metrics.applyLag.record(Int64(raft.commitIndex - raft.appliedIndex))
            takeSnapshotIfDue()
        }
        var roundsToStart: [UInt64] = []
        for state in output.readStates {
            if let next = readRounds.readIndex(state.index, context: state.context, nowMilliseconds: nowMilliseconds) {
                roundsToStart.append(next)
            }
        }
        if !output.readStates.isEmpty || !output.committedEntries.isEmpty || output.snapshotToInstall != nil {
            serveReads()
        }
        if let change = output.roleChange { roleChanged(change) }
        for context in roundsToStart { startReadRound(context) }
    }

    private func persist(_ request: PersistRequest) {
        persistPipeline.submit(request)
    }

    private func install(_ snapshot: RaftSnapshot) {
        do {
            let ttlMin = configuration.leaseTTLSecondsMin
            let (registry, stateMachine) = try Self.splitSnapshot(snapshot, configuration)
            state =
                stateMachine.isEmpty
                ? KVStateMachine(limits: limits, ttlSecondsMin: ttlMin)
                : try KVStateMachine(snapshot: stateMachine, limits: limits, ttlSecondsMin: ttlMin)
            installRegistry(registry)
            hub.onRestored(store: state.store)
            wakeWatchStreams()
            if raft.role == .leader { state.onBecameLeader(nowMilliseconds: nowMilliseconds, extendMilliseconds: electionMilliseconds) }
        } catch {
            logger.critical("leader sent an undecodable snapshot", metadata: ["index": "\(snapshot.metadata.index)", "error": "\(error)"])
            fatalError("undecodable snapshot at index \(snapshot.metadata.index): \(error)")
        }
        metrics.snapshotsInstalled.increment()
        logger.info("installed snapshot", metadata: ["index": "\(snapshot.metadata.index)", "revision": "\(store.currentRevision)"])
    }

    private func apply(_ entry: LogEntry) {
        metrics.entriesApplied.increment()
        if entry.kind == .configurationChange { return applyConfigurationEntry(entry) }
        guard entry.kind == .normal, !entry.data.isEmpty else { return }
        if MemberProposal.isMemberProposal(entry.data) { return applyMemberEntry(entry) }
        let envelope: ProposalEnvelope
        let command: StoreCommand
        do {
            envelope = try ProposalEnvelope(decoding: entry.data)
            command = try StoreCommand(decoding: envelope.command)
        } catch {
            // Every replica skips the same bad entry, so they stay in step.
            logger.error("skipping undecodable log entry", metadata: ["index": "\(entry.index)", "error": "\(error)"])
            return
        }
        let result: Result<KVStateMachine.Result, any Error>
        do {
            let (applied, events) = try state.apply(command, nowMilliseconds: nowMilliseconds)
            result = .success(applied)
            hub.onApplied(revision: state.store.currentRevision, events: events)
            if !events.isEmpty { wakeWatchStreams() }
        } catch {
            switch error {
            case .kv(let error): result = .failure(error)
            case .lease(let error): result = .failure(error)
            }
        }
        guard envelope.proposer == configuration.memberID, let waiter = proposals.removeValue(forKey: envelope.requestID) else {
            return
        }
        metrics.proposalsCommitted.increment()
        waiter.continuation.resume(with: result)
    }

    private func takeSnapshotIfDue() {
        guard raft.appliedIndex >= raft.snapshotIndex + configuration.snapshotEveryEntries else { return }
        do {
            let data = ServerSnapshot(registry: membershipState.registry, stateMachine: state.snapshot()).encoded
            let output = try raft.compact(upTo: raft.appliedIndex, snapshotData: data)
            metrics.snapshotsTaken.increment()
            logger.info("took snapshot", metadata: ["index": "\(raft.appliedIndex)", "revision": "\(store.currentRevision)"])
            handle(output)
        } catch {
            logger.error("cannot take snapshot", metadata: ["error": "\(error)"])
        }
    }

    private func serveReads() {
        for read in readRounds.servable(appliedIndex: raft.appliedIndex) {
            readContinuations.removeValue(forKey: read.id)?.resume()
        }
    }

    private func roleChanged(_ change: RoleState) {
        metrics.term.record(Int64(change.term))
        metrics.isLeader.record(change.role == .leader ? 1 : 0)
        metrics.hasLeader.record(change.leader == nil ? 0 : 1)
        leaderKnown.store(change.leader != nil, ordering: .relaxed)
        let isLeader = change.role == .leader
        if isLeader && !wasLeader {
            state.onBecameLeader(nowMilliseconds: nowMilliseconds, extendMilliseconds: electionMilliseconds)
        } else if !isLeader && wasLeader {
            state.onBecameFollower()
        }
        wasLeader = isLeader
        if change.leader != lastLeader {
            if change.leader != nil { metrics.leaderChanges.increment() }
            failLeaseForwards(ServerError.leaderChanged, unlessLeader: change.leader)
            lastLeader = change.leader
        }
        logger.info(
            "role changed",
            metadata: [
                "role": "\(change.role.rawValue)", "term": "\(change.term)",
                "leader": "\(change.leader.map { String($0, radix: 16) } ?? "none")",
            ])
    }

    /// On the leader, proposes a revoke for each lease whose TTL ran out;
    /// the keys vanish when the revoke is applied, on every replica.
    private func revokeExpiredLeases() {
        guard raft.role == .leader else { return }
        for id in state.expiredLeases(nowMilliseconds: nowMilliseconds, max: Self.expiredLeasesPerTickMax)
        where !revokesInFlight.contains(id) {
            revokesInFlight.insert(id)
            Task { [weak self] in
                guard let self else { return }
                do {
                    _ = try await self.propose(.lease(.revoke(id: id)))
                } catch {
                    await self.logRevokeFailure(id, error)
                }
                await self.revokeFinished(id)
            }
        }
    }

    private func revokeFinished(_ id: Int64) { revokesInFlight.remove(id) }

    private func logRevokeFailure(_ id: Int64, _ error: any Error) {
        logger.debug("expired lease revoke not applied", metadata: ["lease": "\(id)", "error": "\(error)"])
    }

    private func expireWaiters() {
        let now = ContinuousClock.now
        for (id, waiter) in proposals where waiter.deadline <= now {
            proposals.removeValue(forKey: id)
            metrics.proposalsFailed.increment()
            waiter.continuation.resume(throwing: ServerError.timedOut)
        }
        let (expired, retry) = readRounds.expire(nowMilliseconds: nowMilliseconds)
        for read in expired {
            readContinuations.removeValue(forKey: read.id)?.resume(throwing: ServerError.timedOut)
        }
        if let retry { startReadRound(retry) }
    }

    private func failAll(_ error: ServerError) {
        for waiter in proposals.values { waiter.continuation.resume(throwing: error) }
        proposals = [:]
        _ = readRounds.removeAll()
        for continuation in readContinuations.values { continuation.resume(throwing: error) }
        readContinuations = [:]
        failLeaseForwards(error, unlessLeader: nil)
    }

    // MARK: Data directory

    private static func createDirectory(_ path: String) throws {
        do {
            try DataDirectory.createDirectory(path)
        } catch {
            throw ServerConfigurationError.invalid("cannot create --data-dir \(path): \(error)")
        }
    }

    private static func directoryHasData(_ path: String) -> Bool {
        DataDirectory.contents(of: path).contains { $0.hasPrefix("snapshot-") }
    }
}
