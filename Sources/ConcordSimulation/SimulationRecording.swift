/// What happened in one run, as structured records for pictures of the run
/// (the space-time diagram of `concord sim --html`): every message with its
/// fate, and every boot, crash, restart, pause, resume, partition, block,
/// heal, network or clock change, timer, durability notice and log line, in
/// the order the simulator handled them, stamped with true time.
///
/// The simulator keeps a recording only when asked (`Simulator.init`'s
/// `recordsEvents`). Keeping one changes nothing about the run: the trace and
/// its hash are the same with or without it. It stops growing at `itemsMax`
/// messages and events together and then sets `isTruncated`, so even a long
/// run stays bounded; sweeps do not record at all.
public struct SimulationRecording: Sendable {
    /// The default bound on messages and events kept.
    public static let itemsMaxDefault = 200_000

    /// The nodes of the run, in creation order.
    public let nodeIDs: [NodeID]
    /// The most messages and events, together, the recording keeps.
    public let itemsMax: Int
    /// Every message sent, in the order sent (a duplicated message appears
    /// once per copy). A message's `id` is its index here.
    public internal(set) var messages: [RecordedMessage] = []
    /// Everything else that happened, in the order handled.
    public internal(set) var events: [RecordedEvent] = []
    /// True when the run produced more than `itemsMax` items: the records
    /// stop at the point where the bound was reached.
    public internal(set) var isTruncated = false
    /// The true time of the last thing recorded (or of the run's end, if
    /// the simulator's clock was moved past it).
    public internal(set) var endTime = SimulationInstant.zero

    /// An empty recording for these nodes.
    public init(nodeIDs: [NodeID], itemsMax: Int = itemsMaxDefault) {
        precondition(itemsMax > 0, "a recording must be able to hold something")
        self.nodeIDs = nodeIDs
        self.itemsMax = itemsMax
    }

    /// A recording of given records, for pictures of runs the simulator did
    /// not make (a real cluster's logs, a test's hand-made run).
    public init(nodeIDs: [NodeID], messages: [RecordedMessage], events: [RecordedEvent], endTime: SimulationInstant) {
        self.nodeIDs = nodeIDs
        self.itemsMax = max(1, messages.count + events.count)
        self.messages = messages
        self.events = events
        self.endTime = endTime
    }

    /// Whether there is room for one more item; sets `isTruncated` when not.
    @usableFromInline mutating func hasRoom() -> Bool {
        if messages.count + events.count < itemsMax { return true }
        isTruncated = true
        return false
    }

    /// Appends an event, if there is room.
    @usableFromInline mutating func note(_ kind: RecordedEvent.Kind, node: NodeID?, at time: SimulationInstant, _ text: String, groups: [[NodeID]] = []) {
        guard hasRoom() else { return }
        events.append(RecordedEvent(time: time, node: node, kind: kind, text: text, groups: groups))
        endTime = max(endTime, time)
    }

    /// Appends a message just sent and returns its id, or -1 when full.
    @usableFromInline mutating func sent(from: NodeID, to: NodeID, at time: SimulationInstant, text: String, isDuplicate: Bool, isDelayed: Bool) -> Int {
        guard hasRoom() else { return -1 }
        messages.append(RecordedMessage(
            id: messages.count, from: from, to: to, sentAt: time, text: text, isDuplicate: isDuplicate, isDelayed: isDelayed))
        endTime = max(endTime, time)
        return messages.count - 1
    }

    /// Records how message `id` ended, if it was recorded.
    @usableFromInline mutating func resolve(_ id: Int, _ fate: RecordedMessage.Fate, at time: SimulationInstant) {
        guard messages.indices.contains(id) else { return }
        messages[id].fate = fate
        messages[id].endedAt = time
        endTime = max(endTime, time)
    }

    /// Marks message `id` as held because its receiver was paused.
    @usableFromInline mutating func hold(_ id: Int) {
        guard messages.indices.contains(id) else { return }
        messages[id].wasHeldByPause = true
    }

    /// Moves `endTime` to `time` if later (the simulator ran on without events).
    @usableFromInline mutating func extend(to time: SimulationInstant) {
        endTime = max(endTime, time)
    }
}

/// One message of a ``SimulationRecording``.
public struct RecordedMessage: Sendable, Hashable {
    /// How a message ended.
    public enum Fate: String, Sendable, Hashable {
        /// Still on its way when the recording ended.
        case inFlight = "in-flight"
        /// Handed to the receiver at `endedAt`.
        case delivered
        /// Lost by the network when sent.
        case lost
        /// Dropped at a partition or blocked link, when sent or on arrival.
        case blocked
        /// Dropped on arrival because the receiver was down.
        case receiverDown = "receiver-down"
    }

    /// The message's index in ``SimulationRecording/messages``.
    public var id: Int
    /// The sender.
    public var from: NodeID
    /// The receiver.
    public var to: NodeID
    /// True time of the send.
    public var sentAt: SimulationInstant
    /// The message as the simulator describes it (its `describeMessage`).
    public var text: String
    /// One of the two copies of a duplicated message.
    public var isDuplicate: Bool
    /// Held back by an extra delay, so later messages on its link may overtake it.
    public var isDelayed: Bool
    /// Waited at its receiver because the receiver was paused.
    public var wasHeldByPause = false
    /// How it ended.
    public var fate = Fate.inFlight
    /// True time of the delivery or drop (nil while in flight).
    public var endedAt: SimulationInstant?

    /// Creates a record of a message just sent.
    public init(id: Int, from: NodeID, to: NodeID, sentAt: SimulationInstant, text: String, isDuplicate: Bool, isDelayed: Bool) {
        self.id = id
        self.from = from
        self.to = to
        self.sentAt = sentAt
        self.text = text
        self.isDuplicate = isDuplicate
        self.isDelayed = isDelayed
    }
}

/// One event of a ``SimulationRecording`` other than a message.
public struct RecordedEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The node booted (at the start, or at a restart).
        case boot
        /// The node crashed.
        case crash
        /// A crashed node was restarted (a `boot` follows).
        case restart
        /// The node was paused.
        case pause
        /// The node resumed.
        case resume
        /// The links between `groups` were cut (every earlier block replaced).
        case partition
        /// The link from `groups[0][0]` to `groups[1][0]` was blocked, one way.
        case block
        /// Every link was unblocked.
        case heal
        /// The network's conditions changed.
        case network
        /// The node's clock was skewed, set drifting, or jumped.
        case clock
        /// A timer of the node fired.
        case timer
        /// A disk write of the node became durable.
        case durable
        /// The node logged a line.
        case log
    }

    /// True time of the event.
    public var time: SimulationInstant
    /// The node concerned, or nil for the whole network.
    public var node: NodeID?
    /// What happened.
    public var kind: Kind
    /// The event in words, as in the trace.
    public var text: String
    /// For a partition, its groups; for a block, `[[from], [to]]`.
    public var groups: [[NodeID]]

    /// Creates an event record.
    public init(time: SimulationInstant, node: NodeID?, kind: Kind, text: String, groups: [[NodeID]] = []) {
        self.time = time
        self.node = node
        self.kind = kind
        self.text = text
        self.groups = groups
    }
}
