import ConcordFoundation
import HeapModule

/// Concord's deterministic simulator: it runs a set of nodes on virtual time,
/// delivering their messages, firing their timers and syncing their disks,
/// under faults of the network, the nodes, the disks and the clocks.
///
/// Determinism: every random choice (latencies, losses, each node's stream)
/// derives from the seed, and events at equal times run in the order they were
/// scheduled. The same seed and the same node code give the same `trace`, and
/// so the same `traceHash`, in every process on every machine, as long as the
/// nodes themselves are deterministic (no wall clock, no system randomness,
/// and no iteration over a `Dictionary` or `Set` whose order leaks into what
/// they do or log: Swift seeds their hashing per process).
///
/// The simulator is single-threaded and a value type; copy it to fork a run.
public struct Simulator<Node: SimulatedNode> {
    public typealias Context = NodeContext<Node.Message, Node.DurableState>
    @usableFromInline typealias Event = SimulationEvent<Node.Message, Node.DurableState>

    /// A run that schedules more pending events than this is a message storm,
    /// not a test: the simulator stops with a precondition failure.
    public static var pendingEventsMax: Int { 10_000_000 }

    /// The seed the run was created with.
    public let seed: UInt64
    /// True virtual time: the time of the event being or last handled.
    @inlinable public var now: SimulationInstant { currentTime }
    /// Conditions of every link.
    @inlinable public var network: NetworkConditions { currentNetwork }
    @usableFromInline var currentTime = SimulationInstant.zero
    @usableFromInline var currentNetwork: NetworkConditions
    /// Conditions of every node's disk.
    public let disk: DiskConditions
    /// The ids of all nodes, in the order given at creation.
    public let nodeIDs: [NodeID]
    /// How messages appear in the trace. The default, `String(describing:)`,
    /// is deterministic for structs and enums of plain values but not for
    /// messages holding a `Dictionary` or `Set`: give a describer for those.
    public var describeMessage: (Node.Message) -> String
    /// Whether `trace` keeps its lines. The hash covers every line either
    /// way; sweeps over many seeds turn this off to save memory.
    public var recordsTrace: Bool

    /// The number of events handled so far.
    @inlinable public var eventsHandled: Int { handledCount }
    @usableFromInline var handledCount = 0

    /// Builds a node at boot and restart; `Node.init` unless a factory is given.
    @usableFromInline let makeNode: (NodeID, Node.DurableState?, inout Context) -> Node

    @usableFromInline var slots: [NodeSlot<Node>] = []
    @usableFromInline var slotIndex: [NodeID: Int] = [:]
    @usableFromInline var queue = Heap<Event>()
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var nextTimerGeneration: UInt64 = 0
    @usableFromInline var networkRandom: SeededRandom
    @usableFromInline var diskRandom: SeededRandom
    @usableFromInline var blocked: Set<Link> = []
    /// Fixed extra delays of single links (`Fault.linkDelay`).
    @usableFromInline var linkDelays: [Link: SimulationDuration] = [:]
    /// What happened, for pictures of the run; nil unless asked for.
    @usableFromInline var recorder: SimulationRecording?
    @usableFromInline var hasher = TraceHasher()
    /// Every line of the run, with its true time, when `recordsTrace` is on.
    @inlinable public var trace: [String] { traceLines }
    @usableFromInline var traceLines: [String] = []
    /// The structured record of the run (messages with their fates, faults,
    /// boots, timers, log lines), when `recordsEvents` was asked for at
    /// creation; nil otherwise. Its `endTime` is at least `now`.
    public var recording: SimulationRecording? {
        guard var recording = recorder else { return nil }
        recording.extend(to: currentTime)
        return recording
    }

    /// Creates a simulator and boots every node at time zero.
    ///
    /// - Parameters:
    ///   - seed: the seed every random choice of the run derives from.
    ///   - nodeIDs: distinct ids, servers and clients alike.
    ///   - network: the initial conditions of every link.
    ///   - disk: the conditions of every node's disk.
    ///   - recordsTrace: whether `trace` keeps its lines (the hash is kept always).
    ///   - recordsEvents: whether to keep a ``SimulationRecording`` of the run
    ///     (`recording`), for a space-time diagram; it changes nothing else.
    ///   - describeMessage: how messages appear in the trace.
    ///   - makeNode: builds a node at boot (`durable == nil`) and at every
    ///     restart, for nodes that need configuration (peers, timeouts, test-only
    ///     bug switches) beyond what `Node.init` receives. Defaults to `Node.init`.
    @inlinable public init(
        seed: UInt64,
        nodeIDs: [NodeID],
        network: NetworkConditions = .init(),
        disk: DiskConditions = .init(),
        recordsTrace: Bool = true,
        recordsEvents: Bool = false,
        describeMessage: ((Node.Message) -> String)? = nil,
        makeNode: ((NodeID, Node.DurableState?, inout Context) -> Node)? = nil
    ) {
        precondition(Set(nodeIDs).count == nodeIDs.count, "node ids must be distinct")
        self.seed = seed
        self.nodeIDs = nodeIDs
        self.currentNetwork = network
        self.disk = disk
        self.recordsTrace = recordsTrace
        self.describeMessage = describeMessage ?? { String(describing: $0) }
        self.makeNode = makeNode ?? { id, durable, context in Node(id: id, durable: durable, context: &context) }
        if recordsEvents { recorder = SimulationRecording(nodeIDs: nodeIDs) }
        var root = SeededRandom(seed: seed)
        networkRandom = root.split()
        diskRandom = root.split()
        for (index, id) in nodeIDs.enumerated() {
            slots.append(NodeSlot(id: id, random: root.split()))
            slotIndex[id] = index
        }
        record("seed \(seed) nodes \(nodeIDs.map { "n\($0)" }.joined(separator: ","))")
        for index in slots.indices {
            boot(index)
        }
    }

    // MARK: Results

    /// FNV-1a 64 over every trace line (each followed by a newline), kept
    /// even when `recordsTrace` is off.
    @inlinable public var traceHash: UInt64 { hasher.value }

    /// The number of events waiting in the queue.
    @inlinable public var pendingEvents: Int { queue.count }

    /// The time of the next event, if any.
    @inlinable public var nextEventTime: SimulationInstant? { queue.min?.time }

    // MARK: Driving

    /// Handles the next event.
    ///
    /// - Returns: false when the queue is empty (nothing was done).
    @discardableResult
    @inlinable public mutating func step() -> Bool {
        guard let event = queue.popMin() else { return false }
        currentTime = event.time
        handledCount += 1
        handle(event.kind)
        return true
    }

    /// Handles every event up to and including `until`, then sets the clock to
    /// `until`.
    @inlinable public mutating func run(until: SimulationInstant) {
        // Only the time of the next event is read: binding the event itself
        // would keep a copy of its message alive while it is handled.
        while let time = queue.min?.time, time <= until {
            step()
        }
        if currentTime < until { currentTime = until }
    }

    /// Handles events up to `until` while `condition` holds (checked before
    /// each event). The clock reaches `until` only if the condition still
    /// holds once the events up to then are done.
    @inlinable public mutating func run(until: SimulationInstant, while condition: (borrowing Self) -> Bool) {
        while condition(self) {
            guard let time = queue.min?.time, time <= until else {
                if currentTime < until { currentTime = until }
                return
            }
            step()
        }
    }

    /// Handles events for `duration` of virtual time from now.
    @inlinable public mutating func run(for duration: SimulationDuration) {
        run(until: now + duration)
    }

    // MARK: Nodes

    /// The node with this id, or nil while it is crashed.
    @inlinable public func node(_ id: NodeID) -> Node? {
        slots[index(of: id)].node
    }

    /// Whether the node is running (not crashed; it may be paused).
    @inlinable public func isRunning(_ id: NodeID) -> Bool {
        slots[index(of: id)].node != nil
    }

    /// Whether the node is paused.
    @inlinable public func isPaused(_ id: NodeID) -> Bool {
        slots[index(of: id)].isPaused
    }

    /// The state of the node's last synced write: what a restart would get.
    @inlinable public func durableState(of id: NodeID) -> Node.DurableState? {
        slots[index(of: id)].durable
    }

    /// The node's local clock reading now.
    @inlinable public func localTime(of id: NodeID) -> SimulationInstant {
        slots[index(of: id)].clock.local(at: now)
    }

    /// Calls `body` on the running node `id` with a context, as if the node
    /// handled an event now, and performs the effects it makes. For drivers
    /// that poke nodes from outside (for example to make a client start an
    /// operation). Works on a paused node too.
    ///
    /// - Returns: false (and calls nothing) when the node is crashed.
    @discardableResult
    @inlinable public mutating func withNode(_ id: NodeID, _ body: (inout Node, inout Context) -> Void) -> Bool {
        let index = index(of: id)
        guard slots[index].node != nil else { return false }
        invoke(index, body)
        return true
    }

    // MARK: Faults, now

    /// Crashes the node: its volatile state, armed timers, waiting events and
    /// unsynced disk writes are lost.
    @inlinable public mutating func crash(_ id: NodeID) { apply(.crash(id)) }
    /// Boots a crashed node from its last synced durable state.
    @inlinable public mutating func restart(_ id: NodeID) { apply(.restart(id)) }
    /// Pauses the node: whatever arrives for it waits until it resumes.
    @inlinable public mutating func pause(_ id: NodeID) { apply(.pause(id)) }
    /// Resumes a paused node, which then handles what waited, in order.
    @inlinable public mutating func resume(_ id: NodeID) { apply(.resume(id)) }
    /// Replaces every blocked link with a symmetric partition between groups.
    /// Nodes named in no group keep all their links.
    @inlinable public mutating func partition(_ groups: [[NodeID]]) { apply(.partition(groups)) }
    /// Blocks the link from `from` to `to` only.
    @inlinable public mutating func block(from: NodeID, to: NodeID) { apply(.block(from: from, to: to)) }
    /// Unblocks every link.
    @inlinable public mutating func heal() { apply(.heal) }
    /// Changes the conditions of every link for messages sent from now on.
    @inlinable public mutating func setNetwork(_ conditions: NetworkConditions) { apply(.network(conditions)) }
    /// Sets the node's clock to true time plus `skew`, running fast or slow by
    /// `driftPerMillion` (at most ±100,000) from now on.
    @inlinable public mutating func setClock(_ id: NodeID, skew: SimulationDuration, driftPerMillion: Int32) {
        apply(.clockSkew(id, skew, driftPerMillion: driftPerMillion))
    }
    /// Moves the node's clock by `by` at once (back if negative).
    @inlinable public mutating func jumpClock(_ id: NodeID, by: SimulationDuration) { apply(.clockJump(id, by)) }

    /// Schedules `fault` to happen at `at`, after any event already scheduled
    /// for that same time.
    @inlinable public mutating func schedule(_ fault: Fault, at: SimulationInstant) {
        precondition(at >= now, "cannot schedule a fault in the past")
        validate(fault)
        enqueue(.fault(fault), at: at)
    }

    /// Applies a fault now.
    @inlinable public mutating func apply(_ fault: Fault) {
        validate(fault)
        switch fault {
        case .crash(let id): crashNode(index(of: id))
        case .restart(let id): restartNode(index(of: id))
        case .pause(let id): pauseNode(index(of: id))
        case .resume(let id): resumeNode(index(of: id))
        case .partition(let groups):
            blocked.removeAll()
            for (groupIndex, group) in groups.enumerated() {
                for (otherIndex, other) in groups.enumerated() where otherIndex != groupIndex {
                    for from in group {
                        for to in other { blocked.insert(Link(from: from, to: to)) }
                    }
                }
            }
            record("fault \(fault)")
            recorder?.note(.partition, node: nil, at: currentTime, "\(fault)", groups: groups)
        case .block(let from, let to):
            blocked.insert(Link(from: from, to: to))
            record("fault \(fault)")
            recorder?.note(.block, node: nil, at: currentTime, "\(fault)", groups: [[from], [to]])
        case .heal:
            blocked.removeAll()
            record("fault \(fault)")
            recorder?.note(.heal, node: nil, at: currentTime, "\(fault)")
        case .network(let conditions):
            currentNetwork = conditions
            record("fault \(fault)")
            recorder?.note(.network, node: nil, at: currentTime, "\(fault)")
        case .clockSkew(let id, let skew, let drift):
            slots[index(of: id)].clock.set(skew: skew, driftPerMillion: drift, at: now)
            record("fault \(fault)")
            recorder?.note(.clock, node: id, at: currentTime, "\(fault)")
        case .clockJump(let id, let amount):
            slots[index(of: id)].clock.jump(by: amount)
            record("fault \(fault)")
            recorder?.note(.clock, node: id, at: currentTime, "\(fault)")
        case .linkDelay(let from, let to, let delay):
            let link = Link(from: from, to: to)
            linkDelays[link] = delay.nanoseconds == 0 ? nil : delay
            record("fault \(fault)")
            recorder?.note(.network, node: nil, at: currentTime, "\(fault)")
        }
    }

    // MARK: Internals

    @inlinable func index(of id: NodeID) -> Int {
        guard let index = slotIndex[id] else {
            preconditionFailure("no simulated node n\(id); nodes are \(nodeIDs)")
        }
        return index
    }

    @inlinable func validate(_ fault: Fault) {
        switch fault {
        case .crash(let id), .restart(let id), .pause(let id), .resume(let id), .clockJump(let id, _):
            _ = index(of: id)
        case .linkDelay(let from, let to, let delay):
            _ = index(of: from)
            _ = index(of: to)
            precondition(from != to, "a node has no link to itself")
            precondition(delay.nanoseconds >= 0, "a link delay cannot be negative")
        case .clockSkew(let id, _, let drift):
            _ = index(of: id)
            precondition(abs(drift) <= NodeClock.driftPerMillionLimit, "clock drift beyond ±\(NodeClock.driftPerMillionLimit) ppm")
        case .partition(let groups):
            let named = groups.flatMap { $0 }
            precondition(Set(named).count == named.count, "a node may be in only one partition group")
            for id in named { _ = index(of: id) }
        case .block(let from, let to):
            _ = index(of: from)
            _ = index(of: to)
            precondition(from != to, "a node cannot be cut off from itself")
        case .heal, .network:
            break
        }
    }

    @inlinable mutating func record(_ line: String) {
        let time = now.description
        hasher.combine(part: time)
        hasher.combine(part: " ")
        hasher.combine(part: line)
        hasher.endLine()
        if recordsTrace { traceLines.append(time + " " + line) }
    }

    @inlinable mutating func enqueue(_ kind: Event.Kind, at time: SimulationInstant) {
        precondition(queue.count < Self.pendingEventsMax, "more than \(Self.pendingEventsMax) pending events: a message storm")
        queue.insert(Event(time: time, sequence: nextSequence, kind: kind))
        nextSequence += 1
    }

    @inlinable mutating func handle(_ kind: Event.Kind) {
        switch kind {
        case .deliver(let message, let from, let to, let record):
            deliver(message, from: from, to: to, record: record)
        case .timer(let node, let timer, let generation):
            guard slots[node].node != nil, slots[node].timers[timer] == generation else { return }
            if slots[node].isPaused {
                slots[node].deferred.append(kind)
                return
            }
            slots[node].timers[timer] = nil
            record("n\(slots[node].id) \(timer)")
            recorder?.note(.timer, node: slots[node].id, at: currentTime, "\(timer)")
            invoke(node) { node, context in node.onTimer(timer, context: &context) }
        case .sync(let node, let state, let token, let incarnation):
            guard slots[node].incarnation == incarnation else { return }
            slots[node].durable = state
            slots[node].unsyncedWrites -= 1
            notifyDurable(node, token: token, incarnation: incarnation)
        case .durable(let node, let token, let incarnation):
            notifyDurable(node, token: token, incarnation: incarnation)
        case .fault(let fault):
            apply(fault)
        }
    }

    @inlinable mutating func deliver(_ message: Node.Message, from: NodeID, to: Int, record recordID: Int) {
        // Only the fields needed are read: a copy of the whole slot kept
        // alive across the handler would share the node's storage, and the
        // node's first write to each collection would then copy it.
        let toID = slots[to].id
        if slots[to].node == nil {
            record("n\(from)->n\(toID) dropped (n\(toID) down) \(describeMessage(message))")
            recorder?.resolve(recordID, .receiverDown, at: currentTime)
            return
        }
        if !blocked.isEmpty, blocked.contains(Link(from: from, to: toID)) {
            record("n\(from)->n\(toID) dropped (partition) \(describeMessage(message))")
            recorder?.resolve(recordID, .blocked, at: currentTime)
            return
        }
        if slots[to].isPaused {
            slots[to].deferred.append(.deliver(message, from: from, to: to, record: recordID))
            recorder?.hold(recordID)
            return
        }
        record("n\(from)->n\(toID) \(describeMessage(message))")
        recorder?.resolve(recordID, .delivered, at: currentTime)
        invoke(to) { node, context in node.onMessage(message, from: from, context: &context) }
    }

    @inlinable mutating func notifyDurable(_ node: Int, token: PersistToken, incarnation: UInt64) {
        guard slots[node].node != nil, slots[node].incarnation == incarnation else { return }
        if slots[node].isPaused {
            slots[node].deferred.append(.durable(node: node, token: token, incarnation: incarnation))
            return
        }
        record("n\(slots[node].id) durable \(token)")
        recorder?.note(.durable, node: slots[node].id, at: currentTime, "\(token)")
        invoke(node) { node, context in node.onDurable(token, context: &context) }
    }

    /// A fresh context for the node in slot `index`, built from the slot's
    /// fields one by one rather than from a copy of the whole slot, which
    /// would retain (and, in unoptimized builds, keep alive) the node's state.
    @inlinable mutating func makeContext(_ index: Int) -> Context {
        Context(
            id: slots[index].id,
            now: slots[index].clock.local(at: now),
            trueTime: now,
            nodeIDs: nodeIDs,
            random: slots[index].random,
            nextPersistToken: slots[index].nextPersistToken
        )
    }

    /// Runs `body` on the node in slot `index`, which must be running.
    ///
    /// The node is moved out of its slot for the call and put back after, so
    /// that no other reference to its state exists while its handler runs
    /// (unless a copy of the simulator shares it) and its collections are
    /// mutated in place. Nothing can observe the empty slot: `body` has no
    /// access to the simulator while the simulator is being mutated.
    @inlinable mutating func invoke(_ index: Int, _ body: (inout Node, inout Context) -> Void) {
        var context = makeContext(index)
        guard var node = slots[index].node.take() else {
            preconditionFailure("a handler was invoked on crashed node n\(slots[index].id)")
        }
        body(&node, &context)
        slots[index].node = consume node
        finish(index, context)
    }

    @inlinable mutating func boot(_ index: Int) {
        var context = makeContext(index)
        let durable = slots[index].durable
        record("n\(slots[index].id) boot" + (durable == nil ? "" : " from durable state"))
        recorder?.note(.boot, node: slots[index].id, at: currentTime, durable == nil ? "boot" : "boot from durable state")
        slots[index].node = makeNode(slots[index].id, durable, &context)
        finish(index, context)
    }

    @inlinable mutating func finish(_ index: Int, _ context: Context) {
        slots[index].random = context.random
        slots[index].nextPersistToken = context.nextPersistToken
        for effect in context.effects {
            perform(effect, of: index)
        }
    }

    @inlinable mutating func perform(_ effect: NodeEffect<Node.Message, Node.DurableState>, of index: Int) {
        let id = slots[index].id
        switch effect {
        case .send(let message, let to):
            send(message, from: id, to: self.index(of: to))
        case .setTimer(let timer, let delay):
            let generation = nextTimerGeneration
            nextTimerGeneration += 1
            slots[index].timers[timer] = generation
            let trueDelay = slots[index].clock.trueDelay(forLocal: delay)
            enqueue(.timer(node: index, timer: timer, generation: generation), at: now + trueDelay)
        case .cancelTimer(let timer):
            slots[index].timers[timer] = nil
        case .persist(let state, let token):
            let latency = diskRandom.next(in: disk.syncLatencyMin.nanoseconds...disk.syncLatencyMax.nanoseconds)
            let syncTime = max(now + .nanoseconds(latency), slots[index].lastSyncTime)
            slots[index].lastSyncTime = syncTime
            slots[index].unsyncedWrites += 1
            enqueue(.sync(node: index, state: state, token: token, incarnation: slots[index].incarnation), at: syncTime)
        case .log(let line):
            record("n\(id): \(line)")
            recorder?.note(.log, node: id, at: currentTime, line)
        }
    }

    @inlinable mutating func send(_ message: Node.Message, from: NodeID, to: Int) {
        let toID = slots[to].id
        if !blocked.isEmpty, blocked.contains(Link(from: from, to: toID)) {
            record("n\(from)->n\(toID) dropped (partition) \(describeMessage(message))")
            if recorder != nil { recordLostSend(message, from: from, to: toID, fate: .blocked) }
            return
        }
        let conditions = network
        if networkRandom.chance(perMillion: conditions.lossPerMillion) {
            record("n\(from)->n\(toID) lost \(describeMessage(message))")
            if recorder != nil { recordLostSend(message, from: from, to: toID, fate: .lost) }
            return
        }
        let copies = networkRandom.chance(perMillion: conditions.duplicationPerMillion) ? 2 : 1
        if copies == 2 {
            record("n\(from)->n\(toID) duplicated \(describeMessage(message))")
        }
        let linkDelay = linkDelays.isEmpty ? 0 : linkDelays[Link(from: from, to: toID)]?.nanoseconds ?? 0
        for _ in 0..<copies {
            var latency = networkRandom.next(in: conditions.latencyMin.nanoseconds...conditions.latencyMax.nanoseconds)
            var isDelayed = false
            if networkRandom.chance(perMillion: conditions.reorderPerMillion) {
                let max = conditions.latencyMax.nanoseconds
                latency += networkRandom.next(in: max...(2 * max))
                isDelayed = true
            }
            var recordID = -1
            if recorder != nil {
                recordID = recorder!.sent(
                    from: from, to: toID, at: now, text: describeMessage(message), isDuplicate: copies == 2, isDelayed: isDelayed)
            }
            enqueue(.deliver(message, from: from, to: to, record: recordID), at: now + .nanoseconds(latency + linkDelay))
        }
    }

    /// Records a message that never left: lost, or dropped at a block.
    @inlinable mutating func recordLostSend(_ message: Node.Message, from: NodeID, to: NodeID, fate: RecordedMessage.Fate) {
        let id = recorder!.sent(from: from, to: to, at: currentTime, text: describeMessage(message), isDuplicate: false, isDelayed: false)
        recorder!.resolve(id, fate, at: currentTime)
    }

    @inlinable mutating func crashNode(_ index: Int) {
        let id = slots[index].id
        guard slots[index].node != nil else {
            record("fault crash n\(id) (already down)")
            return
        }
        let lost = slots[index].unsyncedWrites
        slots[index].node = nil
        slots[index].incarnation += 1
        slots[index].isPaused = false
        slots[index].timers.removeAll()
        slots[index].deferred.removeAll()
        slots[index].unsyncedWrites = 0
        slots[index].lastSyncTime = now
        record("fault crash n\(id) (\(lost) unsynced writes lost)")
        recorder?.note(.crash, node: id, at: currentTime, "crash (\(lost) unsynced writes lost)")
    }

    @inlinable mutating func restartNode(_ index: Int) {
        let id = slots[index].id
        guard slots[index].node == nil else {
            record("fault restart n\(id) (already running)")
            return
        }
        record("fault restart n\(id)")
        recorder?.note(.restart, node: id, at: currentTime, "restart")
        boot(index)
    }

    @inlinable mutating func pauseNode(_ index: Int) {
        let id = slots[index].id
        guard slots[index].node != nil, !slots[index].isPaused else {
            record("fault pause n\(id) (not running)")
            return
        }
        slots[index].isPaused = true
        record("fault pause n\(id)")
        recorder?.note(.pause, node: id, at: currentTime, "pause")
    }

    @inlinable mutating func resumeNode(_ index: Int) {
        let id = slots[index].id
        guard slots[index].isPaused else {
            record("fault resume n\(id) (not paused)")
            return
        }
        slots[index].isPaused = false
        var waiting: [Event.Kind] = []
        swap(&waiting, &slots[index].deferred)
        record("fault resume n\(id) (\(waiting.count) events waited)")
        recorder?.note(.resume, node: id, at: currentTime, "resume (\(waiting.count) events waited)")
        for kind in waiting {
            enqueue(kind, at: now)
        }
    }
}
