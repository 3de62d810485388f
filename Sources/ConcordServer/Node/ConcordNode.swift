import ConcordKV
import ConcordRaft
import ConcordServerCore
import ConcordStorage
import ConcordTransport
import ConcordZooKeeper
import Crypto
import Logging
import NIOCore
import Synchronization

/// One Concord member: the shell that performs a `ServerCore`'s effects
/// with real time, real files and real sockets. Every decision (what to
/// propose, apply, answer, revoke, publish; which peers to talk to; which
/// watcher gets which event) is the core's; the actor only feeds it inputs
/// and performs its outputs in the order `ServerOutput` documents:
///
/// - the clock: a tick every `tickMilliseconds`, and the milliseconds of a
///   monotonic clock with every input;
/// - persist requests go to the `PersistPipeline`, which writes them to the
///   `RaftLogStore` (durable when written) and reports `onPersisted`;
/// - frames go to the peer transport, and frames arriving from it go to the
///   core;
/// - client requests come from the gRPC services as `ClientRequest`s and
///   wait on a continuation until the core answers them;
/// - identity changes (the adopted cluster id, this member's removal) are
///   recorded in the data directory.
public actor ConcordNode {
    /// The node's settings.
    public nonisolated let configuration: NodeConfiguration
    /// The node's metrics.
    public nonisolated let metrics: ServerMetrics
    nonisolated let logger: Logger
    private nonisolated let leaderKnown = Atomic<Bool>(false)

    /// The server core; read and fed only by this actor (extensions in
    /// other files of this module included).
    var core: ServerCore
    /// The ZooKeeper listener's connections (`ConcordNode+ZooKeeper`).
    var zooKeeperConnections = ZooKeeperConnectionTable()
    private nonisolated let logStore: Storage.RaftLogStore
    private nonisolated let persistPipeline: PersistPipeline
    private nonisolated let persistedSequences: AsyncStream<UInt64>
    private var transport: PeerTransport?
    /// The transport, for the available store's messages, which leave
    /// from the store's actor rather than this one.
    nonisolated let storeTransport = Mutex<PeerTransport?>(nil)
    /// The auth store as last applied here, for the Redis listener's
    /// connections, which check each command against it from the
    /// available store's actor (``publishAuthStore()``).
    nonisolated let appliedAuth = AppliedAuth()
    /// The enabled flag and revision last published to ``appliedAuth``.
    private var publishedAuth: (enabled: Bool, revision: UInt64) = (false, 0)
    /// Where the available store's messages from peers go; nil while the
    /// member runs no store (they are dropped).
    var storeReceiver: (@Sendable (IncomingStoreMessage) -> Void)?
    private var waiters: [ClientRequestID: CheckedContinuation<ServerReply, Never>] = [:]
    /// The number of the last token issued here.
    var tokenSequence: UInt64 = 0
    private var nextClientRequest: ClientRequestID = 1
    private var flushScheduled = false
    private var tasks: [Task<Void, Never>] = []
    private var stopped = false
    /// True once ``stop()`` has begun.
    var isStopped: Bool { stopped }
    private var watchWakers: [Int64: AsyncStream<Void>.Continuation] = [:]
    private var removed = false
    private var removalWaiters: [CheckedContinuation<Bool, Never>] = []
    private var lastLeader: MemberID?
    private nonisolated let startInstant = ContinuousClock.now

    /// The most queued watch responses one stream takes per wake-up (a slow
    /// client makes the server take less).
    private static let watchResponsesPerTakeMax = 64

    /// Milliseconds on this node's monotonic clock.
    nonisolated var nowMilliseconds: Int64 {
        let elapsed = ContinuousClock.now - startInstant
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// Opens (or creates) the data directory and restores the member from
    /// the latest snapshot; the log after it is re-applied as Raft hands
    /// out the committed entries.
    /// - Throws: `ServerConfigurationError` for a bad configuration,
    ///   `RaftStorageError` for a data directory that cannot be used.
    public init(configuration: NodeConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics()) throws {
        let problems = configuration.problems
        guard problems.isEmpty else { throw ServerConfigurationError.invalid(problems.joined(separator: "; ")) }
        var configuration = configuration
        try Self.createDirectory(configuration.dataDirectory)
        // Before anything else is written: a directory of the other engine
        // is refused unchanged.
        try EngineRecord.bind(directory: configuration.dataDirectory, to: configuration.consensus)
        try Self.resolveIdentity(&configuration, hasData: Self.directoryHasData(configuration.dataDirectory))
        self.configuration = configuration
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "member"] = "\(configuration.name)"
        self.logger = logger

        let coreConfiguration = Self.coreConfiguration(configuration)
        logStore = try Storage.RaftLogStore.open(
            directory: configuration.dataDirectory, bootstrap: ServerCore.bootstrapState(coreConfiguration))
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
        do {
            core = try ServerCore(
                configuration: coreConfiguration, durable: durable, seed: UInt64.random(in: 0...UInt64.max), nowMilliseconds: 0,
                snapshotFiles: logStore)
        } catch {
            logStore.close()
            switch error {
            case .invalidConfiguration(let reason): throw ServerConfigurationError.invalid(reason)
            case .corruptSnapshot(let index, let reason):
                throw RaftStorageError.corrupted("snapshot \(index) in \(configuration.dataDirectory): \(reason)")
            }
        }
        logger.info(
            "node opened",
            metadata: [
                "id": "\(String(configuration.memberID, radix: 16))", "data-dir": "\(configuration.dataDirectory)",
                "snapshot-index": "\(durable.snapshot.metadata.index)", "log-entries": "\(durable.entries.count)",
                "consensus": "\(configuration.consensus)", "term": "\(durable.hardState.term)", "commit": "\(durable.hardState.commit)",
            ])
    }

    /// The server core's settings for this node's configuration.
    static func coreConfiguration(_ configuration: NodeConfiguration) -> ServerCoreConfiguration {
        var core = ServerCoreConfiguration(
            memberID: configuration.memberID, name: configuration.name,
            clusterID: configuration.joinedRunningCluster ? configuration.adoptedClusterID.load() : configuration.clusterID,
            joinedRunningCluster: configuration.joinedRunningCluster,
            initialMembers: configuration.members.map { member in
                InitialMember(
                    name: member.name, peerURL: member.peerURL, foundingID: member.id,
                    joiningID: ClusterMember.id(forPeerURLs: [member.peerURL]))
            },
            clientURLs: ["\(configuration.clientListen)"])
        core.tickMilliseconds = configuration.tickMilliseconds
        core.consensus = configuration.consensus
        core.raft.electionTimeoutTicks = configuration.electionTimeoutTicks
        core.raft.heartbeatIntervalTicks = configuration.heartbeatIntervalTicks
        core.raft.bytesPerMessageMax = 1 << 20
        core.requestTimeoutMilliseconds = configuration.requestTimeoutMilliseconds
        core.snapshotEveryEntries = configuration.snapshotEveryEntries
        core.encodesSnapshotsInShell = true
        core.requestBytesMax = configuration.requestBytesMax
        core.watchLimits.watchersPerStreamMax = configuration.watchersPerStreamMax
        core.watchLimits.slowWatcherRevisionsMax = configuration.watchLagRevisionsMax
        if let endpoint = configuration.zooKeeperListen {
            var zooKeeper = ZooKeeper.ServerConfiguration()
            zooKeeper.clientPort = endpoint.port
            zooKeeper.dataDirectory = configuration.dataDirectory
            core.zooKeeper = zooKeeper
            core.zooKeeperSHA1 = { bytes in Array(Insecure.SHA1.hash(data: bytes)) }
        }
        return core
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
        storeTransport.withLock { $0 = transport }
        perform(core.start(nowMilliseconds: nowMilliseconds))
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
        for (id, waiter) in waiters {
            waiter.resume(returning: ServerReply(request: id, result: .failure(.server(.stopping)), term: core.term, revision: core.revision))
        }
        waiters = [:]
        for waiter in removalWaiters { waiter.resume(returning: false) }
        removalWaiters = []
        for waker in watchWakers.values { waker.finish() }
        watchWakers = [:]
        zooKeeperConnections.closeAll()
        storeReceiver = nil
        storeTransport.withLock { $0 = nil }
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
    public var term: UInt64 { core.term }
    /// The leader this node knows, if any.
    public var leader: MemberID? { core.leader }
    /// This node's role.
    public var role: RaftRole { core.role }
    /// The store's current revision.
    public var revision: Int64 { core.revision }
    /// The highest applied log index.
    public var appliedIndex: UInt64 { core.appliedIndex }
    /// The index of the latest snapshot.
    public var snapshotIndex: UInt64 { core.snapshotIndex }
    /// True while this member is a learner of the configuration in force.
    public var isLearner: Bool { core.isLearner }
    /// True once this member has been removed from the cluster.
    var isRemovedFromCluster: Bool { removed }
    /// Every member, with learners marked.
    func memberList() -> [MemberRecord] { core.memberList() }

    /// The encoded key-value state machine (store and leases), as a
    /// snapshot file holds it, with the revision and applied index it
    /// reflects.
    public func stateSnapshot() -> (data: [UInt8], revision: Int64, appliedIndex: UInt64) {
        core.stateSnapshot()
    }

    /// See `ServerCore.stateSizeBound()`.
    public func stateSizeBound() -> (bytes: Int, revision: Int64, appliedIndex: UInt64) {
        core.stateSizeBound()
    }

    /// See `ServerCore.hashKV(revision:)`.
    public func hashKV(revision: Int64) throws(KVError) -> (hash: UInt32, hashedRevision: Int64, compactRevision: Int64, currentRevision: Int64) {
        try core.hashKV(revision: revision)
    }

    /// Waits until this member is removed from the cluster (true) or the
    /// node stops (false).
    func waitUntilRemoved() async -> Bool {
        if removed { return true }
        if stopped { return false }
        return await withCheckedContinuation { removalWaiters.append($0) }
    }

    // MARK: Client requests

    /// Asks the core and waits for its answer.
    /// - Throws: the error the core answered with (`KVError`, `LeaseError`,
    ///   `MembershipError` or `ServerError`).
    func ask(_ request: ClientRequest) async throws -> (ClientAnswer, ServerReply) {
        guard !stopped else { throw ServerError.stopping }
        let caller = try self.caller()
        let id = nextClientRequest
        nextClientRequest &+= 1
        let output = core.onRequest(id, request, caller: caller, nowMilliseconds: nowMilliseconds)
        let reply: ServerReply
        if let immediate = output.replies.first(where: { $0.request == id }) {
            perform(output)
            reply = immediate
        } else {
            reply = await withCheckedContinuation { continuation in
                waiters[id] = continuation
                perform(output)
            }
        }
        switch reply.result {
        case .success(let answer): return (answer, reply)
        case .failure(let failure): throw failure.error
        }
    }

    /// The caller the current call's token names; without a token, the
    /// common name of the client's verified certificate with
    /// `--client-cert-auth` (etcd's `AuthInfoFromTLS`), checked against the
    /// store as it is now; nil without either, or while auth is disabled
    /// (etcd then ignores tokens).
    /// - Throws: `AuthError.invalidAuthToken` for a token this member did
    ///   not issue, or one that expired or whose user changed.
    func caller() throws(AuthError) -> AuthCaller? {
        guard core.authStore.isEnabled else { return nil }
        guard let token = RequestCredentials.token else {
            return RequestCredentials.certificateUser.map { AuthCaller(name: $0, revision: core.authStore.revision) }
        }
        if let jwt = configuration.jwtTokens {
            guard let caller = jwt.verify(token, nowSeconds: JWTTokens.wallClockSeconds()) else { throw .invalidAuthToken }
            return caller
        }
        guard let caller = core.caller(forToken: token, nowMilliseconds: nowMilliseconds) else { throw .invalidAuthToken }
        return caller
    }

    /// Copies the auth store to ``appliedAuth`` when it changed: every
    /// change raises the revision, except `AuthEnable`, which sets the flag.
    /// Done before the replies of the same output, so a Redis command sent
    /// after an etcd auth call returns is checked against its effect.
    private func publishAuthStore() {
        let store = core.authStore
        guard store.isEnabled != publishedAuth.enabled || store.revision != publishedAuth.revision else { return }
        publishedAuth = (store.isEnabled, store.revision)
        appliedAuth.publish(store)
    }

    /// The replicated auth store as this member has applied it.
    var authStore: AuthStore { core.authStore }

    /// Reads a range: after a ReadIndex round unless the request is serializable.
    public func range(_ request: RangeRequest) async throws -> (RangeResponse, term: UInt64) {
        let (answer, reply) = try await ask(.range(request))
        guard case .range(let response) = answer else { throw Self.unexpected(answer) }
        return (response, reply.term)
    }

    /// Serves a transaction that only reads.
    public func readOnlyTxn(_ request: TxnRequest, serializable: Bool) async throws -> (TxnResponse, term: UInt64) {
        let (answer, reply) = try await ask(.readOnlyTxn(request, serializable: serializable))
        guard case .txn(let response) = answer else { throw Self.unexpected(answer) }
        return (response, reply.term)
    }

    /// Proposes a write and waits until it is applied here.
    public func write(_ command: KVCommand) async throws -> (KVResult, term: UInt64) {
        let (answer, reply) = try await ask(.write(command))
        guard case .kv(let result) = answer else { throw Self.unexpected(answer) }
        return (result, reply.term)
    }

    /// Grants a lease; the member chooses the id when `id` is 0.
    public func grantLease(id: Int64, ttlSeconds: Int64) async throws -> (id: Int64, ttlSeconds: Int64, term: UInt64) {
        let (answer, reply) = try await ask(.leaseGrant(id: id, ttlSeconds: ttlSeconds))
        guard case .leaseGranted(let granted, let ttl) = answer else { throw Self.unexpected(answer) }
        return (granted, ttl, reply.term)
    }

    /// Revokes a lease, deleting its keys.
    public func revokeLease(id: Int64) async throws -> (revision: Int64, term: UInt64) {
        let (answer, reply) = try await ask(.leaseRevoke(id: id))
        guard case .leaseRevoked = answer else { throw Self.unexpected(answer) }
        return (reply.revision, reply.term)
    }

    /// Every lease id, after a ReadIndex round.
    public func leaseIDs() async throws -> (ids: [Int64], revision: Int64, term: UInt64) {
        let (answer, reply) = try await ask(.leaseList)
        guard case .leaseIDs(let ids) = answer else { throw Self.unexpected(answer) }
        return (ids, reply.revision, reply.term)
    }

    /// Renews a lease, on the leader or through it.
    public func renewLease(id: Int64) async throws -> (ttlSeconds: Int64, revision: Int64, term: UInt64) {
        let (answer, reply) = try await ask(.leaseKeepAlive(id: id))
        guard case .leaseRenewed(let ttl) = answer else { throw Self.unexpected(answer) }
        return (ttl, reply.revision, reply.term)
    }

    /// A lease's remaining and granted TTL (and its keys when `keys`).
    public func leaseTimeToLive(id: Int64, keys: Bool) async throws -> (LeaseTimeToLive, revision: Int64, term: UInt64) {
        let (answer, reply) = try await ask(.leaseTimeToLive(id: id, keys: keys))
        guard case .leaseTimeToLive(let status) = answer else { throw Self.unexpected(answer) }
        return (status, reply.revision, reply.term)
    }

    /// Adds a member (etcd's MemberAdd). Returns the member list after it.
    func addMember(_ member: MemberRecord) async throws -> [MemberRecord] {
        try await members(.memberAdd(member))
    }

    /// Removes a member for good (etcd's MemberRemove).
    func removeMember(_ id: UInt64) async throws -> [MemberRecord] {
        try await members(.memberRemove(id: id))
    }

    /// Replaces a member's peer URLs (etcd's MemberUpdate).
    func updateMember(_ id: UInt64, peerURLs: [String]) async throws -> [MemberRecord] {
        try await members(.memberUpdate(id: id, peerURLs: peerURLs))
    }

    /// Makes a learner a voter (etcd's MemberPromote).
    func promoteMember(_ id: UInt64) async throws -> [MemberRecord] {
        try await members(.memberPromote(id: id))
    }

    private func members(_ request: ClientRequest) async throws -> [MemberRecord] {
        let (answer, _) = try await ask(request)
        guard case .members(let list) = answer else { throw Self.unexpected(answer) }
        return list
    }

    /// Hands leadership to `target` and waits until this node sees it lead.
    public func moveLeader(to target: MemberID) async throws {
        let (answer, _) = try await ask(.moveLeader(to: target))
        guard case .leaderMoved = answer else { throw Self.unexpected(answer) }
    }

    private static func unexpected(_ answer: ClientAnswer) -> ServerError {
        .proposalRefused("unexpected answer \(answer)")
    }

    // MARK: Watch streams

    /// Opens a watch stream on this node.
    /// - Returns: its ID and a sequence that yields whenever the stream may
    ///   have responses to take.
    func openWatchStream() -> (id: Int64, wakeups: AsyncStream<Void>) {
        let id = core.openWatchStream()
        let (wakeups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        watchWakers[id] = continuation
        return (id, wakeups)
    }

    /// Handles one request of watch stream `id`.
    func watchRequest(stream id: Int64, _ request: WatchStreamRequest) {
        guard watchWakers[id] != nil else { return }
        let hasWork: Bool
        do {
            // Found first: `caller()` reads the core, which the call below modifies.
            let caller = try self.caller()
            hasWork = core.onWatchRequest(stream: id, request, caller: caller)
        } catch {
            // An unknown token: a create is refused, a cancel still cancels.
            if case .create = request {
                hasWork = core.refuseWatchCreate(stream: id, error)
            } else {
                hasWork = core.onWatchRequest(stream: id, request)
            }
        }
        if hasWork { watchWakers[id]?.yield() }
    }

    /// Takes the next responses of watch stream `id` (the stream is woken
    /// again if more wait).
    func takeWatchResponses(stream id: Int64) -> (responses: [WatchResponse], term: UInt64) {
        let (responses, moreWaiting) = core.takeWatchResponses(stream: id, maxResponses: Self.watchResponsesPerTakeMax)
        if moreWaiting { watchWakers[id]?.yield() }
        return (responses, core.term)
    }

    /// Forgets watch stream `id` and its watchers.
    func closeWatchStream(_ id: Int64) {
        core.closeWatchStream(id)
        watchWakers.removeValue(forKey: id)?.finish()
    }

    // MARK: Inputs

    private func receive(from sender: UInt64, _ payload: [UInt8]) {
        guard !stopped else { return }
        perform(core.onPeerFrame(payload, from: sender, nowMilliseconds: nowMilliseconds))
    }

    private func tick() {
        guard !stopped else { return }
        perform(core.onTick(nowMilliseconds: nowMilliseconds))
    }

    private func persisted(upTo sequence: UInt64) {
        guard !stopped else { return }
        perform(core.onPersisted(upTo: sequence, nowMilliseconds: nowMilliseconds))
    }

    private func flush() {
        flushScheduled = false
        guard !stopped else { return }
        perform(core.onFlush(nowMilliseconds: nowMilliseconds))
    }

    // MARK: Effects

    /// Performs one output in the order `ServerOutput` documents.
    func perform(_ output: ServerOutput) {
        if let fatal = output.fatal {
            logger.critical("stopping: \(fatal)")
            fatalError(fatal)
        }
        for change in output.identity { record(change) }
        for request in output.persist { persistPipeline.submit(request) }
        if let transport, !output.frames.isEmpty {
            let clusterID = core.clusterID
            for outgoing in output.frames {
                do {
                    try transport.send(
                        to: outgoing.to, outgoing.frame.encoded(from: configuration.memberID, to: outgoing.to, clusterID: clusterID))
                } catch {
                    logger.debug("cannot send peer frame", metadata: ["to": "\(outgoing.to)", "error": "\(error)"])
                }
            }
        }
        publishAuthStore()
        for reply in output.replies { waiters.removeValue(forKey: reply.request)?.resume(returning: reply) }
        if let storeReceiver = storeReceiver {
            for message in output.storeMessages { storeReceiver(message) }
        }
        for stream in output.watchStreamsWithWork { watchWakers[stream]?.yield() }
        if !output.zooKeeper.isEmpty { performZooKeeper(output.zooKeeper) }
        for change in output.peerChanges { repoint(change) }
        if let capture = output.snapshotToEncode { encodeSnapshot(capture) }
        if output.flushRequested && !flushScheduled {
            flushScheduled = true
            Task { self.flush() }
        }
        record(output)
    }

    /// Encodes a snapshot off the actor (at a million keys it takes longer
    /// than an election timeout, during which the member would neither
    /// send nor answer heartbeats), then hands the bytes to the core.
    private func encodeSnapshot(_ capture: SnapshotCapture) {
        let index = capture.index
        Task.detached(priority: .utility) { [weak self] in
            let data = capture.encoded()
            await self?.snapshotEncoded(index: index, data: data)
        }
    }

    private func snapshotEncoded(index: UInt64, data: [UInt8]) {
        guard !isStopped else { return }
        perform(core.onSnapshotEncoded(index: index, data: data, nowMilliseconds: nowMilliseconds))
    }

    private func record(_ change: IdentityChange) {
        switch change {
        case .adoptClusterID(let clusterID):
            do {
                try MemberIdentity(memberID: configuration.memberID, clusterID: clusterID).save(in: configuration.dataDirectory)
            } catch {
                logger.critical("cannot record the cluster id; stopping", metadata: ["error": "\(error)"])
                fatalError("cannot record the cluster id: \(error)")
            }
            configuration.adoptedClusterID.store(clusterID)
        case .removedFromCluster:
            removed = true
            do {
                try MemberIdentity.markRemoved(directory: configuration.dataDirectory)
            } catch {
                logger.error("cannot record the removal in the data directory", metadata: ["error": "\(error)"])
            }
            logger.critical("the member has been permanently removed from the cluster")
            for waiter in removalWaiters { waiter.resume(returning: true) }
            removalWaiters = []
        }
    }

    private func repoint(_ change: PeerChange) {
        guard let transport else { return }
        switch change {
        case .connect(let id, let peerURL):
            guard let endpoint = try? Endpoint.parse(peerURL, flag: "peer URL") else {
                logger.warning("ignoring a member's unusable peer URL", metadata: ["member": "\(String(id, radix: 16))", "url": "\(peerURL)"])
                return
            }
            transport.setPeer(id, host: endpoint.host, port: endpoint.port)
        case .disconnect(let id):
            transport.removePeer(id)
        }
    }

    /// Logs the output's events and records its metrics.
    private func record(_ output: ServerOutput) {
        if core.clusterID != 0 && core.clusterID != configuration.adoptedClusterID.load() {
            // A founding member takes the registry's cluster id as the one in force.
            configuration.adoptedClusterID.store(core.clusterID)
        }
        if output.entriesApplied > 0 {
            metrics.entriesApplied.increment(by: output.entriesApplied)
            metrics.applyLag.record(Int64(core.commitIndex - core.appliedIndex))
        }
        if output.proposalsCommitted > 0 { metrics.proposalsCommitted.increment(by: output.proposalsCommitted) }
        if output.proposalsFailed > 0 { metrics.proposalsFailed.increment(by: output.proposalsFailed) }
        for event in output.events { log(event) }
    }

    private func log(_ event: ServerEvent) {
        switch event {
        case .roleChanged(let change):
            metrics.term.record(Int64(change.term))
            metrics.isLeader.record(change.role == .leader ? 1 : 0)
            metrics.hasLeader.record(change.leader == nil ? 0 : 1)
            leaderKnown.store(change.leader != nil, ordering: .relaxed)
            if change.leader != lastLeader {
                if change.leader != nil { metrics.leaderChanges.increment() }
                lastLeader = change.leader
            }
            logger.info(
                "role changed",
                metadata: [
                    "role": "\(change.role.rawValue)", "term": "\(change.term)",
                    "leader": "\(change.leader.map { String($0, radix: 16) } ?? "none")",
                ])
        case .snapshotTaken(let index, let revision):
            metrics.snapshotsTaken.increment()
            logger.info("took snapshot", metadata: ["index": "\(index)", "revision": "\(revision)"])
        case .snapshotInstalled(let index, let revision):
            metrics.snapshotsInstalled.increment()
            logger.info("installed snapshot", metadata: ["index": "\(index)", "revision": "\(revision)"])
            // The state the snapshot replaced was freed in small blocks
            // throughout the arenas: give their pages back now rather than
            // at the next periodic trim, off the member's actor (the walk
            // takes the arenas' locks in turn).
            Task.detached(priority: .utility) { MemoryAllocator.trim() }
        case .snapshotFailed(let reason):
            logger.error("cannot take snapshot", metadata: ["error": "\(reason)"])
        case .memberChangeApplied(let index, let command):
            logger.info("applied member change", metadata: ["index": "\(index)", "change": "\(command)"])
        case .published(let name, let clientURLs):
            logger.info("published member attributes", metadata: ["name": "\(name)", "client-urls": "\(clientURLs)"])
        case .skippedEntry(let index, let reason):
            logger.error("skipping undecodable log entry", metadata: ["index": "\(index)", "error": "\(reason)"])
        case .droppedPeerFrame(let sender, let reason):
            metrics.badPeerMessages.increment()
            logger.debug("dropping peer frame", metadata: ["sender": "\(String(sender, radix: 16))", "reason": "\(reason)"])
        case .addressedAsAnotherMember(let expected):
            logger.error(
                "a peer addresses another member id at this address; start with exactly the peer URL given to member add",
                metadata: [
                    "expected-id": "\(String(expected, radix: 16))", "own-id": "\(String(configuration.memberID, radix: 16))",
                ])
        case .joinedCluster(let clusterID):
            logger.info("joined cluster", metadata: ["cluster-id": "\(String(clusterID, radix: 16))"])
        case .expiredLeaseRevokeFailed(let leaseID, let reason):
            logger.debug("expired lease revoke not applied", metadata: ["lease": "\(leaseID)", "error": "\(reason)"])
        }
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
