import ConcordDynamo
import ConcordRedis
import ConcordServerCore
import ConcordStorage
import DequeModule
import Foundation
import Logging
import Synchronization

/// The member's available store and its Redis-protocol connections: the
/// shell that performs a `DynamoNode`'s and each `RedisConnection`'s
/// effects with real time and real sockets, and decides nothing.
///
/// - The clock: `onTick` every ``tickMilliseconds``; every input carries
///   the wall clock in nanoseconds (the store's hybrid logical clocks
///   compare it across members).
/// - Peer messages leave through `send` (a `PeerFrame.dynamo`, or a
///   `PeerFrame.dynamoBatch` when one step sends a member several, on the
///   member's peer transport) and arrive through ``receive(_:from:)``, the
///   messages of one frame together.
/// - Each connection's bytes go to its `RedisConnection`
///   (``receive(bytes:connection:)``); its requests go to the node with
///   ids unique at the member (``nextRequestID``), and the node's replies
///   go back to their connection under the connection's own id. What a
///   connection returns is queued, in order, for its writer task.
/// - Users: every connection is checked against the auth store the
///   member applied (``AppliedAuth``), taken again only when its version
///   changed. A user the new store no longer has loses its connections,
///   as `ACL DELUSER` closes a Redis user's (``refreshAccessControl()``).
/// - Records: every node output's records are appended to the store's
///   write-ahead log (``StoreLog``) as soon as the node returns them, in
///   order; the actor epoch goes to `StoreEpochFile` instead, synced at
///   once. The output's messages and replies wait (in ``waiting``) until
///   the log reports its records, and every earlier output's, written
///   (and, with `appendfsync always`, synced): `DynamoOutput`'s ordering
///   contract. With `everysec` a background task syncs the log once a
///   second; with `no` the operating system decides.
/// - Snapshots: every `StoreLog.snapshotEveryRecords` records the node's
///   stored state is snapshotted, off the actor, and the log compacted.
///
/// Batching: what one input of the actor brings (every complete command of
/// one read from a connection, every message of one peer frame, a tick, a
/// log write completing) is one step. The node's outputs during a step are
/// merged, in order, into one output (``batch``): one log append (one
/// write, and with `always` one sync, for all its records), one frame per
/// member for its messages, and, per connection, one chunk of reply bytes
/// for the writer. Merging only delays a message or reply until the
/// records of the outputs merged after its own are written too, so
/// `DynamoOutput`'s ordering contract holds; the replies of a connection
/// stay in request order (its `RedisConnection` orders them).
///
/// Backpressure: a connection's reader waits (in ``receive(bytes:connection:)``)
/// while more than ``queuedBytesMax`` of its replies wait to be written, or
/// while its `RedisConnection` holds unparsed input because
/// `commandsOpenMax` commands are open; a written chunk
/// (``wrote(_:connection:)``) or a reply frees it. And every reader waits,
/// before it takes a read and before it reads again, while admission is
/// closed: from when the node coordinates ``admission`` `.high` requests
/// until they fall to `.low`. A write at W = 1 is answered at once but
/// coordinated until every replica acknowledges it, so a client faster
/// than the replicas would otherwise pile up coordinations (and the peer
/// messages behind them) until the node refused requests as overloaded;
/// with admission, the load waits in the clients' sockets instead.
actor AvailableStore {
    /// What a connection's writer task is given, in order.
    enum Outbound: Sendable {
        /// Bytes to write.
        case bytes([UInt8])
        /// Close the connection (after the bytes before it).
        case close
    }

    /// Reply bytes of one connection handed to its writer and not written
    /// yet: added to by the store, taken from by the writer without a hop
    /// to the store, which it makes only when its write lets a reader
    /// waiting for room go on (the count falls from above
    /// ``queuedBytesMax`` to it or below).
    final class QueuedBytes: Sendable {
        private let count = Atomic<Int>(0)

        var value: Int { count.load(ordering: .acquiring) }

        func add(_ bytes: Int) {
            count.add(bytes, ordering: .releasing)
        }

        /// Takes `bytes` written; true when that frees room.
        func written(_ bytes: Int) -> Bool {
            let (before, after) = count.subtract(bytes, ordering: .acquiringAndReleasing)
            return before > AvailableStore.queuedBytesMax && after <= AvailableStore.queuedBytesMax
        }
    }

    /// A connection opened: its id, what its writer writes out, and the
    /// count of its reply bytes not yet written.
    struct Opened: Sendable {
        let id: Int64
        let outbound: AsyncStream<Outbound>
        let queued: QueuedBytes
    }

    private struct Client {
        var connection: RedisConnection
        let outbound: AsyncStream<Outbound>.Continuation
        let queued = QueuedBytes()
        var readerWaiting: CheckedContinuation<Void, Never>?
        /// Reply bytes of the current step, queued for the writer at its end.
        var unsent: [UInt8] = []
        var inputEnded = false
        var closed = false
    }

    /// The interval between two ticks of the store, in milliseconds.
    static let tickMilliseconds = 10
    /// The most reply bytes of one connection waiting to be written before
    /// its reader stops reading.
    static let queuedBytesMax = 4 << 20
    /// Open coordinations at which connections stop being read, and at
    /// which they are read again (the node refuses requests at
    /// `coordinationsMax`, 65,536; forwarded requests use the rest).
    var admission = (high: 16_384, low: 8_192)
    /// Whether readers wait for open coordinations to fall to `admission.low`.
    private(set) var admissionClosed = false

    private var node: DynamoNode
    private let settings: RedisSettings
    private let epochFile: StoreEpochFile
    private let storeLog: StoreLog
    private var storeLogClosed = false
    private let send: @Sendable (MemberID, [DynamoMessage]) -> Void
    /// The member's users and permissions as it applied them.
    private let auth: AppliedAuth
    /// The users and permissions every connection obeys, taken from
    /// ``auth`` at ``accessVersion`` (nil: not taken yet).
    private var access = EtcdUsers(store: AuthStore())
    private var accessVersion: AppliedAuth.Version?
    private let logger: Logger
    private var clients: [Int64: Client] = [:]
    /// Member-unique request id → the connection and its own id.
    private var routes: [UInt64: (connection: Int64, id: UInt64)] = [:]
    private var nextRequestID: UInt64 = 1
    private var nextConnectionID: Int64 = 1
    private var tickTask: Task<Void, Never>?
    private var started = false
    private var stopped = false
    /// Node outputs whose messages and replies wait for their records, in
    /// the order the node returned them, each with the number of log
    /// appends that must be written first (its own and every earlier one).
    private var waiting: Deque<(appends: UInt64, output: DynamoOutput)> = []
    /// Log appends issued, and the most reported written (synced with
    /// `always`); appends complete in order.
    private var appends: UInt64 = 0
    private var writtenAppends: UInt64 = 0
    /// Appends covered by the last background sync requested (`everysec`).
    private var syncRequestedAppends: UInt64 = 0
    private var syncTask: Task<Void, Never>?
    /// The node's outputs of the current step not yet submitted, merged in
    /// the order the node returned them.
    private var batch = DynamoOutput()
    /// Connections with reply bytes in `Client.unsent`.
    private var unsentConnections: [Int64] = []
    /// True while ``commit()`` runs further up the stack (a reply can make
    /// a connection send the next request, whose output must wait for the
    /// rest of the current one).
    private var committing = false

    /// The store's settings on a real network: the simulator's 10 ms ticks,
    /// with time limits sized for a loaded machine rather than a simulated
    /// one, and room for redis-benchmark's pipelines.
    static func dynamoSettings(memberCount: Int) -> DynamoSettings {
        var settings = DynamoSettings()
        // N = 3, or every member of a smaller cluster.
        settings.replicationFactor = max(1, min(settings.replicationFactor, memberCount))
        settings.escalationTicks = 30  // 300 ms without an answer: ask again, try fallbacks
        settings.requestTimeoutTicks = 500  // 5 s: fail as unavailable
        settings.readRepairWaitTicks = 10
        settings.handoffIntervalTicks = 50
        // Up to 512 keys (and 8 MiB) a second to each member while ranges
        // move; a batch stays well within a peer frame (8 MiB or more).
        settings.handoffKeysPerMessageMax = 256
        settings.handoffBytesPerMessageMax = 4 << 20
        // Reads consult a key's previous replicas for 30 s after a ring
        // change, while its copies move.
        settings.ringTransitionTicks = 3_000
        settings.antiEntropyIntervalTicks = 100
        settings.tombstoneAgeTicksMin = 1_000
        // The grace must exceed the longest a message stays in flight
        // (docs/dynamo.md): 10 s on loopback or a LAN.
        settings.reapGraceTicks = 1_000
        settings.coordinationsMax = 65_536
        return settings
    }

    /// Creates the store of `member` on a ring of `members`, resuming the
    /// copies, hints and pending writes replayed from `dataDirectory`'s
    /// store log and the actor epoch recorded there.
    /// - Throws: `ServerConfigurationError` when the ring cannot be built,
    ///   the epoch file cannot be read, or the store log cannot be
    ///   recovered (naming the file and offset of the damage).
    init(
        member: MemberID, members: [MemberID], dataDirectory: String, appendFsync: AppendFsync = .default,
        readsAskEveryReplica: Bool = false, settings: RedisSettings, logger: Logger, auth: AppliedAuth = AppliedAuth(),
        send: @escaping @Sendable (MemberID, [DynamoMessage]) -> Void
    ) throws {
        var dynamoSettings = Self.dynamoSettings(memberCount: members.count)
        dynamoSettings.readsAskEveryReplica = readsAskEveryReplica
        let ring: Ring
        do {
            ring = try Ring(members: members, virtualNodesPerMember: dynamoSettings.virtualNodesPerMember)
        } catch {
            throw ServerConfigurationError.invalid("the available store's ring: \(error)")
        }
        let epochFile = StoreEpochFile(directory: dataDirectory)
        let epoch = try epochFile.load()
        let opened: StoreLog.Opened
        do {
            opened = try StoreLog.open(dataDirectory: dataDirectory, appendFsync: appendFsync)
        } catch {
            throw ServerConfigurationError.invalid("the available store's log in \(dataDirectory)/\(StoreLog.directoryName): \(error)")
        }
        if let torn = opened.tornTail {
            logger.warning(
                "trimmed a torn tail from the available store's log",
                metadata: ["file": "\(torn.file)", "offset": "\(torn.offset)", "reason": "\(torn.reason)"])
        }
        logger.info(
            "replayed the available store",
            metadata: [
                "keys": "\(opened.state.objects.count)", "hints": "\(opened.state.hints.values.reduce(0) { $0 + $1.count })",
                "records": "\(opened.replayedRecords)", "appendfsync": "\(appendFsync.rawValue)",
            ])
        var stored = opened.state
        stored.actorEpoch = epoch
        self.epochFile = epochFile
        storeLog = opened.log
        node = DynamoNode(member: member, ring: ring, settings: dynamoSettings, stored: stored, seed: UInt64.random(in: 0...UInt64.max))
        self.settings = settings
        self.logger = logger
        self.auth = auth
        self.send = send
    }

    /// Wall-clock nanoseconds: the hybrid logical clocks of the store
    /// compare them across members.
    private nonisolated var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    // MARK: Lifecycle

    /// Starts the node (moving it to a new actor epoch, recorded before
    /// anything is sent) and its tick, on the ring of `ringMembers` (the
    /// applied membership) when given; the ring it was created with
    /// otherwise. Peer messages that arrive earlier are dropped (their
    /// senders retry).
    func start(ringMembers: [MemberID] = []) {
        guard !started, !stopped else { return }
        started = true
        if !ringMembers.isEmpty, let ring = try? Ring(members: ringMembers, virtualNodesPerMember: node.settings.virtualNodesPerMember),
            ring != node.ring
        {
            node = DynamoNode(
                member: node.member, ring: ring, settings: node.settings, stored: node.storedState, seed: UInt64.random(in: 0...UInt64.max))
        }
        logger.info("the available store starts", metadata: ["ring": "\(node.ring.members.map(\.description))"])
        step(node.start(now: now))
        commit()
        tickTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Self.tickMilliseconds))
                guard let self else { return }
                await self.tick()
            }
        }
        if storeLog.appendFsync == .everysec {
            syncTask = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    guard let self else { return }
                    await self.syncInBackground()
                }
            }
        }
    }

    /// Stops ticking, closes every connection, and closes the store log
    /// (waiting for a snapshot being written, and syncing what is written).
    func stop() {
        stopped = true
        tickTask?.cancel()
        tickTask = nil
        syncTask?.cancel()
        syncTask = nil
        for id in Array(clients.keys) { finish(id) }
        if !storeLogClosed {
            storeLogClosed = true
            storeLog.close()
        }
    }

    // MARK: Ring membership

    /// The Raft group's applied membership gives the ring `members`: if it
    /// differs from the node's, the node moves to it (handing over the
    /// ranges that moved). Empty (a membership not learned yet) changes
    /// nothing.
    func changeRing(members: [MemberID]) {
        guard started, !stopped, !members.isEmpty else { return }
        let ring: Ring
        do {
            ring = try Ring(members: members, virtualNodesPerMember: node.settings.virtualNodesPerMember)
        } catch {
            logger.error("cannot build the available store's ring", metadata: ["members": "\(members)", "error": "\(error)"])
            return
        }
        guard ring != node.ring else { return }
        logger.info(
            "the available store's ring changed",
            metadata: ["from": "\(node.ring.members.map(\.description))", "to": "\(ring.members.map(\.description))"])
        step(node.onRingChange(ring, now: now))
        commit()
    }

    // MARK: Peer messages and time

    /// The messages of one frame from member `from`, in order: one step.
    func receive(_ messages: [DynamoMessage], from: UInt64) {
        guard started, !stopped else { return }
        let sender = MemberID(from)
        let time = now
        for message in messages { step(node.onMessage(message, from: sender, now: time)) }
        commit()
    }

    private func tick() {
        guard !stopped else { return }
        step(node.onTick(now: now))
        commit()
    }

    // MARK: Connections

    /// Opens a connection.
    /// - Returns: its id, and the sequence its writer task writes out.
    func open() -> (id: Int64, outbound: AsyncStream<Outbound>) {
        let opened = openConnection()
        return (opened.id, opened.outbound)
    }

    /// Opens a connection whose writer reports what it wrote through
    /// ``Opened/queued`` (and ``roomFreed(connection:)`` when told to).
    func openConnection() -> Opened {
        let id = nextConnectionID
        nextConnectionID += 1
        let (stream, continuation) = AsyncStream<Outbound>.makeStream()
        refreshAccessControl()
        var connection = RedisConnection(id: id, settings: settings)
        connection.accessControl = access
        let client = Client(connection: connection, outbound: continuation)
        clients[id] = client
        if stopped { finish(id) }
        return Opened(id: id, outbound: stream, queued: client.queued)
    }

    /// Feeds bytes read from connection `id`, then waits while the
    /// connection has no room (see the type's comment).
    /// - Returns: false once the connection is closing: read no more.
    func receive(bytes: [UInt8], connection id: Int64) async -> Bool {
        refreshAccessControl()
        guard let closed = clients[id]?.closed, !closed else { return false }
        // In place: a copy of the client would make the connection copy
        // its pipeline state on every read.
        while admissionClosed, let client = clients[id], !client.closed {
            await withCheckedContinuation { continuation in
                clients[id]?.readerWaiting = continuation
            }
        }
        guard let open = clients[id], !open.closed else { return false }
        let output = clients[id]!.connection.onBytes(bytes)
        perform(output, connection: id)
        commit()
        while let client = clients[id], !client.closed, mustWait(client) {
            await withCheckedContinuation { continuation in
                clients[id]?.readerWaiting = continuation
            }
        }
        return clients[id].map { !$0.closed } ?? false
    }

    /// Connection `id` presented a verified client certificate naming
    /// `user` (`--client-cert-auth`): it is that user's from its first
    /// command, as an etcd call with such a certificate is.
    func authenticate(certificateUser user: String, connection id: Int64) {
        guard clients[id] != nil else { return }
        clients[id]!.connection.authenticate(certificateUser: user)
    }

    /// The password check of connection `id` for `user` ended. A user
    /// deleted while its password was checked is refused.
    private func authenticated(_ accepted: Bool, user: String, connection id: Int64) {
        refreshAccessControl()
        guard clients[id] != nil, !clients[id]!.closed else { return }
        let output = clients[id]!.connection.onAuthentication(accepted: accepted && access.store.users[user] != nil)
        perform(output, connection: id)
        commit()
    }

    /// The writer of connection `id` wrote `count` bytes.
    func wrote(_ count: Int, connection id: Int64) {
        guard let client = clients[id] else { return }
        _ = client.queued.written(count)
        wakeReader(id)
    }

    /// The writer of connection `id` freed room (``QueuedBytes/written(_:)``
    /// said so): a reader waiting for it may go on.
    func roomFreed(connection id: Int64) {
        wakeReader(id)
    }

    /// The client of connection `id` sent its last byte (a half-close):
    /// the connection closes once every open command is answered.
    func inputEnded(connection id: Int64) {
        guard clients[id] != nil else { return }
        clients[id]!.inputEnded = true
        closeIfDone(id)
    }

    /// Connection `id` is gone: forget it (replies still due are dropped).
    func closed(connection id: Int64) {
        guard let client = clients.removeValue(forKey: id) else { return }
        client.readerWaiting?.resume()
        client.outbound.finish()
    }

    /// How many readers wait (for room, or for admission).
    var waitingReaders: Int { clients.values.filter { $0.readerWaiting != nil }.count }

    /// Sets the admission limits (tests).
    func setAdmission(high: Int, low: Int) {
        admission = (high, low)
    }

    private func mustWait(_ client: Client) -> Bool {
        admissionClosed || client.queued.value > Self.queuedBytesMax || client.connection.holdsInput
            || (client.connection.unparsedByteCount > 0
                && client.connection.openCommandCount >= client.connection.settings.commandsOpenMax)
    }

    private func wakeReader(_ id: Int64) {
        guard let client = clients[id], let waiting = client.readerWaiting, client.closed || !mustWait(client) else { return }
        clients[id]!.readerWaiting = nil
        waiting.resume()
    }

    private func closeIfDone(_ id: Int64) {
        guard let client = clients[id], client.inputEnded, client.connection.openCommandCount == 0 else { return }
        finish(id)
    }

    /// Closes connection `id` after what is queued.
    private func finish(_ id: Int64) {
        guard let client = clients[id], !client.closed else { return }
        queueUnsent(id)
        clients[id]!.closed = true
        client.outbound.yield(.close)
        client.outbound.finish()
        wakeReader(id)
    }

    // MARK: Users

    /// The member applied a change to its users and permissions: takes it
    /// at once, closing the connections of users it deleted.
    func authChanged() {
        guard !stopped else { return }
        refreshAccessControl()
        commit()
    }

    /// Takes the applied auth store when its version changed since it was
    /// last taken, and gives it to every connection. A connection
    /// authenticated as a user the new store no longer has (deleted
    /// through etcd) is closed after what is queued for it, as Redis
    /// closes the connections of a user `ACL DELUSER` removes. A password
    /// change, a role revoked or auth turned off or on keep connections
    /// open, as `ACL SETUSER` does; the next command meets the new store.
    private func refreshAccessControl() {
        guard let (store, version) = auth.changed(since: accessVersion) else { return }
        let previous = access.store.users
        access = EtcdUsers(store: store)
        accessVersion = version
        let deleted = Set(previous.keys.filter { store.users[$0] == nil })
        for id in Array(clients.keys) {
            clients[id]!.connection.accessControl = access
            if let user = clients[id]!.connection.user, deleted.contains(user) { finish(id) }
        }
    }

    /// The log appends issued so far (one per step that had records).
    var appendCount: UInt64 { appends }

    // MARK: Effects

    /// Performs one connection's output in the order `ConnectionOutput`
    /// documents, within the current step (the caller commits).
    ///
    /// The node's outputs for the requests join the step's batch, whose
    /// replies are performed after this output's bytes are queued, so that
    /// a reply the node gives at once (a refused request) is written after
    /// them.
    private func perform(_ output: ConnectionOutput, connection id: Int64) {
        if !output.requests.isEmpty {
            let time = now
            for request in output.requests {
                var routed = request
                routed.id = nextRequestID
                nextRequestID += 1
                routes[routed.id] = (id, request.id)
                step(node.onClientRequest(routed, now: time))
            }
        }
        if !output.bytes.isEmpty, let client = clients[id], !client.closed {
            client.queued.add(output.bytes.count)
            if client.unsent.isEmpty { unsentConnections.append(id) }
            clients[id]!.unsent += output.bytes
        }
        if output.closes { finish(id) }
        if let request = output.authentication {
            // bcrypt takes tens of milliseconds: off the actor.
            let auth = self.auth
            Task.detached { [weak self] in
                let accepted = EtcdUsers(store: auth.current.store).verifies(request)
                await self?.authenticated(accepted, user: request.user, connection: id)
            }
        }
        closeIfDone(id)
        wakeReader(id)
    }

    /// Hands connection `id`'s reply bytes of this step to its writer.
    private func queueUnsent(_ id: Int64) {
        guard let client = clients[id], !client.unsent.isEmpty else { return }
        clients[id]!.unsent = []
        if !client.closed { client.outbound.yield(.bytes(client.unsent)) }
    }

    /// Adds one node output to the step's batch (records, messages,
    /// replies and notes each after the batch's own, so the order of
    /// every kind is the node's).
    private func step(_ output: DynamoOutput) {
        guard !output.isEmpty else { return }
        if batch.isEmpty {
            batch = output
            return
        }
        batch.records += output.records
        batch.messages += output.messages
        batch.replies += output.replies
        batch.notes += output.notes
    }

    /// Ends a step: submits the batch, performs every waiting output whose
    /// records are written (whose replies may start more requests: they
    /// make the next batch, submitted once every ready output is
    /// performed), and hands each connection its reply bytes. Does nothing
    /// when already running further up the stack, which finishes the work.
    private func commit() {
        guard !committing else { return }
        committing = true
        defer { committing = false }
        while true {
            if !batch.isEmpty {
                let output = batch
                batch = DynamoOutput()
                submit(output)
            }
            while let first = waiting.first, first.appends <= writtenAppends {
                waiting.removeFirst()
                if !stopped { perform(first.output) }
            }
            if batch.isEmpty { break }
        }
        for id in unsentConnections { queueUnsent(id) }
        unsentConnections.removeAll(keepingCapacity: true)
        updateAdmission()
    }

    /// Closes admission at `admission.high` open coordinations, and opens
    /// it again, waking every waiting reader, at `admission.low`.
    private func updateAdmission() {
        let open = node.openCoordinations
        if !admissionClosed {
            if open >= admission.high { admissionClosed = true }
        } else if open <= admission.low {
            admissionClosed = false
            for (id, client) in clients where client.readerWaiting != nil { wakeReader(id) }
        }
    }

    /// Makes a node output's records durable as far as `appendfsync`
    /// asks (the epoch synced now, the rest appended to the log) and
    /// queues its messages and replies behind them. Called at the end of
    /// every step with the step's merged outputs, so the log holds the
    /// records in the node's order and the node's state is always the
    /// replay of what was appended.
    private func submit(_ output: DynamoOutput) {
        do {
            for record in output.records {
                if case .actorEpoch(let epoch) = record { try epochFile.save(epoch) }
            }
        } catch {
            // Invariant: a dot never leaves a member before the epoch that
            // makes it unique is durable. A member that cannot record it
            // must not go on.
            stopOnStorageFailure("cannot record the available store's actor epoch", error)
        }
        if !storeLogClosed {
            let appended = storeLog.append(output.records) { [weak self] result in
                Task { await self?.written(result) }
            }
            if appended { appends += 1 }
        }
        if !output.messages.isEmpty || !output.replies.isEmpty || !output.notes.isEmpty {
            waiting.append((appends, output))
        }
        if !storeLogClosed, storeLog.wantsSnapshot {
            let logger = self.logger
            storeLog.snapshot(node.storedState) { error in
                if let error {
                    logger.error("cannot snapshot the available store; the log keeps growing", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One more log append is written (appends complete in order, so
    /// every earlier one is too): release what waited for it.
    private func written(_ result: Result<Void, Storage.StorageError>) {
        if case .failure(let error) = result {
            guard !stopped else { return }
            stopOnStorageFailure("cannot write the available store's log", error)
        }
        writtenAppends += 1
        commit()
    }

    /// `everysec`: syncs what was written since the last sync, off the
    /// actor (the log's writer thread does it between batches).
    private func syncInBackground() {
        guard !stopped, !storeLogClosed, syncRequestedAppends < appends else { return }
        syncRequestedAppends = appends
        storeLog.sync { [weak self] result in
            guard case .failure(let error) = result else { return }
            Task { await self?.syncFailed(error) }
        }
    }

    private func syncFailed(_ error: Storage.StorageError) {
        guard !stopped else { return }
        stopOnStorageFailure("cannot sync the available store's log", error)
    }

    /// After a failed write or sync the page cache can no longer be
    /// trusted (docs/storage.md): a member that went on could acknowledge
    /// what a restart forgets. It stops; a restart recovers from the disk.
    private func stopOnStorageFailure(_ what: String, _ error: any Error) -> Never {
        logger.critical("\(what); stopping", metadata: ["error": "\(error)"])
        fatalError("\(what): \(error)")
    }

    /// Sends one (merged) node output's messages, those to one member
    /// together and in order, and its replies, once its records are
    /// written (``commit()``).
    private func perform(_ output: DynamoOutput) {
        if output.messages.count == 1, let only = output.messages.first {
            send(only.to, [only.message])
        } else if !output.messages.isEmpty {
            var members: [MemberID] = []
            var byMember: [MemberID: [DynamoMessage]] = [:]
            for envelope in output.messages {
                if byMember[envelope.to] == nil { members.append(envelope.to) }
                byMember[envelope.to, default: []].append(envelope.message)
            }
            for member in members { send(member, byMember[member]!) }
        }
        // A reply can let a connection parse its next commands: they are
        // checked against the users of now.
        if !output.replies.isEmpty { refreshAccessControl() }
        for reply in output.replies {
            // No copy of the client: it would make the connection copy its
            // pipeline state when the reply changes it.
            guard let route = routes.removeValue(forKey: reply.id), clients[route.connection]?.closed == false else { continue }
            var local = reply
            local.id = route.id
            let more = clients[route.connection]!.connection.onReply(local)
            perform(more, connection: route.connection)
        }
        for note in output.notes { logger.debug("\(note)") }
    }
}
