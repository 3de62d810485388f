import ConcordFoundation
import ConcordClocks

/// One member of a leaderless replicated key-value store: the pure core
/// that coordinates client requests, stores copies, hands hints over,
/// repairs, runs anti-entropy, collects tombstones and gates causal writes.
///
/// A value type driven by its `on…` handlers, each given the member's local
/// time in nanoseconds (any epoch; used only by the hybrid logical clock of
/// last-writer-wins writes). Every handler returns a ``DynamoOutput``, whose
/// ordering contract the driver follows. Call ``start(now:)`` once, before
/// anything else; call ``onTick(now:)`` at a fixed interval.
///
/// Determinism: the node iterates its dictionaries only in key order, so
/// the same inputs give the same outputs in every process.
public struct DynamoNode: Sendable {
    /// The member this node is.
    public let member: MemberID
    /// The ring as this member knows it.
    public private(set) var ring: Ring
    /// The settings.
    public let settings: DynamoSettings
    /// The ring before the last change, while reads still consult it (see
    /// ``DynamoSettings/ringTransitionTicks``); nil otherwise.
    public internal(set) var previousRing: Ring?
    /// The tick at which the previous ring stops being consulted.
    var ringTransitionEndsAt: UInt64 = 0

    /// The member's copies, by key (durable).
    public internal(set) var objects: [ByteString: StoredObject]
    /// Copies held for other members (durable).
    public internal(set) var hints: [MemberID: [ByteString: StoredObject]]
    /// Causal writes not visible yet, by key (durable).
    public internal(set) var pending: [ByteString: [PendingWrite]]
    /// The actor epoch in use (durable; see ``Actor``).
    public internal(set) var actorEpoch: UInt64
    /// The actor naming this member's updates in the current epoch.
    public internal(set) var actor: ReplicaID

    /// Ticks since start.
    public internal(set) var ticks: UInt64 = 0
    /// What the member has done, for tests and measurements.
    public internal(set) var statistics = DynamoStatistics()

    var hybridClock: HybridLogicalClock<ManualClock>
    var started = false
    /// Set when a copy or hint was dropped: the epoch must advance before
    /// the next dot.
    var epochIsStale = false
    var nextIdentifier: UInt64 = 1
    var coordinations: [UInt64: Coordination] = [:]
    /// How many requests this member coordinates now (a sloppy write goes
    /// on after its answer until every replica has it).
    public var openCoordinations: Int { coordinations.count }
    /// Coordination ids by the tick at which each may act next (escalate,
    /// time out, end its read repair, leave the queue): ``onTick(now:)``
    /// looks only at those due, not at every open coordination. An id may
    /// be listed at several ticks, or stay listed after it ended: a tick
    /// only looks, and does nothing to a coordination not due.
    var dueCoordinations: [UInt64: [UInt64]] = [:]
    /// Operation (message) id → coordination id.
    var operations: [UInt64: UInt64] = [:]
    var handoff = HandoffState()
    var antiEntropy = AntiEntropyState()
    var reaper = ReaperState()
    var causal = CausalState()
    /// When each local tombstone was first held, in ticks.
    var tombstoneSince: [ByteString: UInt64] = [:]
    /// Keys whose copy here has a deadline (see ``Expiry``): the ones to
    /// check for expiry on each tick.
    var expiring: Set<ByteString> = []
    /// Key listings this member coordinates, by listing id.
    var listings: [UInt64: Listing] = [:]
    /// Members that left a request unanswered past its escalation time and
    /// have not been heard from since: writes are not forwarded to them.
    var suspected: Set<MemberID> = []
    /// Forwards already begun, so that a duplicate is ignored.
    var recentForwards = RecentSet<ForwardedRequest>(capacity: 4_096)
    var random: SeededRandom

    /// A member of `ring` restarting from `stored` (nil: a new member).
    ///
    /// - Parameters:
    ///   - member: this member; need not be on `ring` (a member that left
    ///     still hands its copies over).
    ///   - ring: the current ring.
    ///   - settings: the settings (``DynamoSettings/problems`` must be empty).
    ///   - stored: what the member's storage replayed, or nil.
    ///   - seed: the seed of the member's random choices (which peer to
    ///     compare with next); any value, different per member and restart.
    public init(member: MemberID, ring: Ring, settings: DynamoSettings, stored: StoredState?, seed: UInt64) {
        precondition(settings.problems.isEmpty, "invalid settings: \(settings.problems.joined(separator: "; "))")
        self.member = member
        self.ring = ring
        self.settings = settings
        let stored = stored ?? StoredState()
        objects = stored.objects
        hints = stored.hints
        pending = stored.pending
        actorEpoch = stored.actorEpoch
        actor = Actor.replica(member: member, epoch: stored.actorEpoch)
        hybridClock = HybridLogicalClock(
            physicalClock: ManualClock(), maximumOffsetNanoseconds: settings.clockOffsetNanosecondsMax)
        random = SeededRandom(seed: seed)
    }

    /// Starts the member: moves to a fresh actor epoch (a restart may have
    /// lost copies whose dots left the member) and hands over copies of
    /// keys the member no longer replicates.
    public mutating func start(now: Int64) -> DynamoOutput {
        precondition(!started, "start is called once")
        started = true
        hybridClock.physicalClock.nanoseconds = now
        var output = DynamoOutput()
        advanceEpoch(output: &output)
        // Identifiers (of coordinations, batches, rounds...) differ across
        // restarts, so that answers meant for an earlier incarnation, or a
        // duplicate of its forwards, are never mistaken for current ones.
        nextIdentifier = actorEpoch << 32 + 1
        for key in objects.keys.sorted() where objects[key]!.isTombstone {
            tombstoneSince[key] = 0
        }
        for (key, object) in objects where object.expiry.deadline != nil {
            expiring.insert(key)
        }
        reconcileOwnership(previous: nil, &output)
        return output
    }

    /// A client request arrives at this member.
    public mutating func onClientRequest(_ request: ClientRequest, now: Int64) -> DynamoOutput {
        prepare(now)
        var output = DynamoOutput()
        receive(request, &output)
        return output
    }

    /// A message from member `from` arrives.
    public mutating func onMessage(_ message: DynamoMessage, from: MemberID, now: Int64) -> DynamoOutput {
        prepare(now)
        suspected.remove(from)
        var output = DynamoOutput()
        switch message {
        case .forward(let coordination, let request):
            // A forward the network delivers twice must not run twice.
            guard recentForwards.insert(ForwardedRequest(from: from, coordination: coordination)) else { break }
            guard coordinations.count < settings.coordinationsMax, Self.problem(with: request) == nil else {
                let error = Self.problem(with: request) ?? .overloaded
                output.send(.forwardReply(coordination: coordination, outcome: .failed(error), session: request.session), to: from)
                break
            }
            begin(request, origin: .forwarded(from: from, coordination: coordination), &output)
        case .forwardReply(let coordination, let outcome, let session):
            onForwardReply(coordination: coordination, outcome: outcome, session: session, &output)
        case .replicate(let write):
            onReplicate(write, from: from, &output)
        case .replicateAck(let operation):
            onReplicateAck(operation: operation, from: from, &output)
        case .read(let operation, let key, let session, let includeHints):
            onRead(operation: operation, key: key, session: session, includeHints: includeHints, from: from, &output)
        case .readReply(let operation, let object, let pendingShown):
            onReadReply(operation: operation, object: object, pendingShown: pendingShown, from: from, &output)
        case .repair(let keyed):
            onRepair(keyed, from: from, &output)
        case .handoff(let batch, let copies):
            onHandoff(batch: batch, copies: copies, from: from, &output)
        case .handoffAck(let batch):
            onHandoffAck(batch: batch, from: from, &output)
        case .treeCompare(let exchange, let arc, let level, let nodes):
            onTreeCompare(exchange: exchange, arc: arc, level: level, nodes: nodes, from: from, &output)
        case .treeObjects(let exchange, let arc, let leaves, let copies, let wantsReply):
            onTreeObjects(exchange: exchange, arc: arc, leaves: leaves, copies: copies, wantsReply: wantsReply, from: from, &output)
        case .reapQuery(let round, let phase, let candidates):
            onReapQuery(round: round, phase: phase, candidates: candidates, from: from, &output)
        case .reapVote(let round, let phase, let agreed):
            onReapVote(round: round, phase: phase, agreed: agreed, from: from, &output)
        case .reap(let candidates):
            onReap(candidates, &output)
        case .dependencyCheck(let check, let dependency):
            output.send(.dependencyAnswer(check: check, covered: isVisible(dependency)), to: from)
        case .dependencyAnswer(let check, let covered):
            onDependencyAnswer(check: check, covered: covered, from: from, &output)
        case .listKeys(let listing, let after, let limit, let now):
            let (keys, next) = listLocalKeys(after: after, limit: limit, now: now)
            output.send(.listKeysReply(listing: listing, keys: keys, next: next), to: from)
        case .listKeysReply(let listing, let keys, let next):
            onListKeysReply(listing: listing, keys: keys, next: next, from: from, &output)
        }
        return output
    }

    /// The driver's periodic tick.
    public mutating func onTick(now: Int64) -> DynamoOutput {
        prepare(now)
        ticks += 1
        var output = DynamoOutput()
        if previousRing != nil && ticks >= ringTransitionEndsAt { previousRing = nil }
        if let due = dueCoordinations.removeValue(forKey: ticks) {
            for id in Set(due).sorted() { tickCoordination(id, &output) }
        }
        if ticks % UInt64(settings.handoffIntervalTicks) == 0 { offerHandoffs(&output) }
        if ticks % UInt64(settings.antiEntropyIntervalTicks) == 0 { startAntiEntropy(&output) }
        if ticks % UInt64(settings.dependencyCheckIntervalTicks) == 0 { checkDependencies(&output) }
        expireDueCopies(&output)
        tickListings(&output)
        tickReaper(&output)
        return output
    }

    /// The ring changed (a member joined or left): every copy of a key
    /// whose replicas gained a member is handed to that member, as a hint
    /// delivered until acknowledged, by each member that held it; copies of
    /// keys this member no longer replicates are kept only as such hints.
    /// For ``DynamoSettings/ringTransitionTicks`` afterwards, reads also
    /// consult the key's previous replicas. A ring equal to the current
    /// one changes nothing.
    public mutating func onRingChange(_ newRing: Ring, now: Int64) -> DynamoOutput {
        prepare(now)
        var output = DynamoOutput()
        guard newRing != ring else { return output }
        let previous = ring
        ring = newRing
        if !has(.ringChangeSkipsHandoff) && settings.ringTransitionTicks > 0 && !previous.members.isEmpty {
            previousRing = previous
            ringTransitionEndsAt = ticks + UInt64(settings.ringTransitionTicks)
        } else {
            previousRing = nil
        }
        output.notes.append("ring change: \(previous.members) to \(newRing.members)")
        reconcileOwnership(previous: previous, &output)
        return output
    }

    /// The replicas of `key` under the previous ring, while reads still
    /// consult it, when they differ from the current ones; empty otherwise.
    func previousReplicas(of key: ByteString) -> [MemberID] {
        guard let previousRing, ticks < ringTransitionEndsAt, !previousRing.members.isEmpty else { return [] }
        let before = previousRing.replicas(of: key, count: min(settings.replicationFactor, previousRing.members.count))
        let now = ringReplicas(of: key)
        return Set(before) == Set(now) ? [] : before
    }

    // MARK: Helpers shared by the extensions

    mutating func prepare(_ now: Int64) {
        precondition(started, "start(now:) must be called first")
        hybridClock.physicalClock.nanoseconds = now
    }

    /// The member's time as its last input gave it, in milliseconds of the
    /// Unix epoch: what deadlines are compared with (``Expiry``).
    var nowMilliseconds: Int64 {
        hybridClock.physicalClock.nanoseconds / 1_000_000
    }

    mutating func makeIdentifier() -> UInt64 {
        defer { nextIdentifier += 1 }
        return nextIdentifier
    }

    /// The first `replicationFactor` members of `key`'s preference list.
    func ringReplicas(of key: ByteString) -> [MemberID] {
        ring.replicas(of: key, count: min(settings.replicationFactor, ring.members.count))
    }

    /// Whether this member replicates `key` under the current ring.
    func replicates(_ key: ByteString) -> Bool {
        ringReplicas(of: key).contains(member)
    }

    /// Moves to the next actor epoch and records it.
    mutating func advanceEpoch(output: inout DynamoOutput) {
        actorEpoch += 1
        actor = Actor.replica(member: member, epoch: actorEpoch)
        output.records.append(.actorEpoch(actorEpoch))
    }

    /// Stores `object` as this member's copy of `key`, recording it. A
    /// member keeps copies only of keys it replicates: for any other key
    /// (a request begun before the ring changed) the copy becomes a hint
    /// for the key's first replica.
    mutating func store(_ object: StoredObject, for key: ByteString, _ output: inout DynamoOutput) {
        if !replicates(key), let owner = ringReplicas(of: key).first(where: { $0 != member }) {
            mergeHint(object, for: key, target: owner, &output)
            dropCopy(key, &output)
            return
        }
        if objects[key] == object { return }
        objects[key] = object
        output.records.append(.object(KeyedObject(key: key, object: object)))
        if object.isTombstone {
            if tombstoneSince[key] == nil { tombstoneSince[key] = ticks }
        } else {
            tombstoneSince[key] = nil
        }
        if object.expiry.deadline != nil { expiring.insert(key) } else { expiring.remove(key) }
    }

    /// Merges `object` into this member's copy of `key`. Returns whether
    /// the copy changed.
    @discardableResult
    mutating func mergeCopy(_ object: StoredObject, for key: ByteString, _ output: inout DynamoOutput) -> Bool {
        let merged = objects[key].map { mergeObjects($0, object) } ?? object
        guard merged != objects[key] else { return false }
        store(merged, for: key, &output)
        return true
    }

    /// Drops this member's copy of `key`. The next dot this member mints
    /// comes from a new actor epoch (see ``Actor``).
    mutating func dropCopy(_ key: ByteString, _ output: inout DynamoOutput) {
        guard objects.removeValue(forKey: key) != nil else { return }
        tombstoneSince[key] = nil
        expiring.remove(key)
        epochIsStale = true
        output.records.append(.objectRemoved(key))
    }

    /// Moves to a new actor epoch if a copy was dropped since the last one:
    /// called before minting a dot.
    mutating func refreshEpochIfNeeded(_ output: inout DynamoOutput) {
        guard epochIsStale else { return }
        epochIsStale = false
        advanceEpoch(output: &output)
    }

    /// Stores or merges a hint for `target`.
    mutating func mergeHint(_ object: StoredObject, for key: ByteString, target: MemberID, _ output: inout DynamoOutput) {
        let merged = hints[target]?[key].map { mergeObjects($0, object) } ?? object
        guard merged != hints[target]?[key] else { return }
        hints[target, default: [:]][key] = merged
        output.records.append(.hint(for: target, KeyedObject(key: key, object: merged)))
    }

    /// Drops the hint of `key` for `target`; like ``dropCopy(_:_:)``, the
    /// next dot comes from a new epoch.
    mutating func dropHint(_ key: ByteString, target: MemberID, _ output: inout DynamoOutput) {
        guard hints[target]?.removeValue(forKey: key) != nil else { return }
        epochIsStale = true
        if hints[target]?.isEmpty == true { hints[target] = nil }
        output.records.append(.hintRemoved(for: target, key: key))
    }

    /// The join of two copies, with the sibling-merge bug when switched on.
    func mergeObjects(_ first: StoredObject, _ second: StoredObject) -> StoredObject {
        var result = first
        result.merge(second, dropsConcurrentSibling: settings.testingBugs.contains(.mergeDropsSibling))
        return result
    }

    /// This member's hints for `key`, merged, or nil.
    func hintCopy(of key: ByteString) -> StoredObject? {
        var result: StoredObject?
        for target in hints.keys.sorted() {
            guard let hint = hints[target]?[key] else { continue }
            result = result.map { mergeObjects($0, hint) } ?? hint
        }
        return result
    }

    /// Whether a bug switch is on.
    func has(_ bug: DynamoBug) -> Bool {
        settings.testingBugs.contains(bug)
    }

    /// A snapshot of the durable state, as a restart would see it once every
    /// record returned so far is durable.
    public var storedState: StoredState {
        var state = StoredState()
        state.objects = objects
        state.hints = hints
        state.pending = pending
        state.actorEpoch = actorEpoch
        return state
    }

    /// The number of requests being coordinated.
    public var coordinationCount: Int { coordinations.count }
}

/// Counts of what a member has done.
public struct DynamoStatistics: Hashable, Sendable {
    /// Read repairs sent (one per stale replica).
    public var readRepairs = 0
    /// Writes accepted as a fallback, holding a hint.
    public var hintsStored = 0
    /// Hinted copies acknowledged by their owner and dropped.
    public var hintsDelivered = 0
    /// Anti-entropy exchanges started.
    public var antiEntropyExchanges = 0
    /// Copies changed by anti-entropy.
    public var antiEntropyRepairs = 0
    /// Tombstones collected.
    public var tombstonesCollected = 0
    /// Causal writes made visible after waiting.
    public var causalWritesShown = 0
    /// Requests coordinated by this member.
    public var coordinated = 0
    /// Requests forwarded to a replica.
    public var forwarded = 0

    public init() {}
}
