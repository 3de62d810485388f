import ConcordClocks
import ConcordSimulation

/// The bugs the `causality` scenario can re-introduce into its clocks.
enum CausalityBug: String, CaseIterable, Sendable {
    /// Lamport's receive rule without the maximum: the receiver ticks its
    /// own clock and ignores the sender's stamp (breaks rule IR2).
    case lamportNoMax = "lamport-no-max"
    /// The vector clock's receive ticks without merging the sender's vector.
    case vectorNoMerge = "vector-no-merge"
    /// The vector clock's receive merges but does not tick, so the receive
    /// event can carry the same vector as the send or the previous event.
    case vectorReceiveNoTick = "vector-receive-no-tick"
}

/// One event of a process in the `causality` scenario, with the stamps its
/// clocks gave it.
struct CausalEvent: Sendable {
    enum Kind: Sendable {
        case local
        case send(to: NodeID)
        /// The receipt of the message sent as event `sendIndex` of `from`.
        case receive(from: NodeID, sendIndex: Int)
    }

    var node: NodeID
    /// The event's position among its process's events.
    var index: Int
    var kind: Kind
    var lamport: UInt64
    var vector: VectorClock
    /// True time, for the timeline only.
    var trueTime: SimulationInstant

    var name: String { "n\(node).e\(index)" }
}

/// What processes send: both clocks' stamps, plus the index of the send
/// event at the sender. The clocks never read that index; it is how the
/// checker learns the true causal order (program order plus the edge from
/// every send to every receipt of the message the simulator delivered).
struct CausalityMessage: Sendable, CustomStringConvertible {
    var lamport: UInt64
    var vector: VectorClock
    var sendIndex: Int

    var description: String { "e\(sendIndex) L\(lamport) \(vector)" }
}

/// How a run's processes behave, drawn from the seed.
struct CausalitySettings: Sendable {
    var nodes: [NodeID]
    /// Events a process starts on its own (receipts come on top).
    var ownEventsMax: Int
    /// The longest pause between two of a process's own events.
    var eventIntervalMax: SimulationDuration
    /// The chance that an own event is a send rather than a local event.
    var sendPerMillion: UInt32
    var bug: CausalityBug?
}

/// A process that does local events and sends messages to random peers at
/// random times, stamping every event with a Lamport clock and a vector clock.
struct CausalityNode: SimulatedNode {
    typealias Message = CausalityMessage
    typealias DurableState = Never

    static let eventTimer = TimerID(1)

    let id: NodeID
    let settings: CausalitySettings
    var lamport = LamportClock()
    var vector = VectorClock()
    private(set) var events: [CausalEvent] = []
    private var ownEvents = 0

    var replica: ReplicaID { ReplicaID(UInt64(id)) }

    init(id: NodeID, durable: Never?, context: inout NodeContext<Message, Never>) {
        preconditionFailure("built by CausalityScenario with its settings")
    }

    init(id: NodeID, settings: CausalitySettings, context: inout NodeContext<Message, Never>) {
        self.id = id
        self.settings = settings
        armTimer(&context)
    }

    mutating func armTimer(_ context: inout NodeContext<Message, Never>) {
        let delay = context.random.next(in: 1_000_000...settings.eventIntervalMax.nanoseconds)
        context.setTimer(Self.eventTimer, after: .nanoseconds(delay))
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, Never>) {
        guard ownEvents < settings.ownEventsMax else { return }
        ownEvents += 1
        if context.random.chance(perMillion: settings.sendPerMillion) {
            let peers = settings.nodes.filter { $0 != id }
            let peer = peers[context.random.index(below: peers.count)]
            let stamp = lamport.send()
            let stamped = vector.send(replica)
            record(.send(to: peer), context: &context)
            context.send(CausalityMessage(lamport: stamp, vector: stamped, sendIndex: events.count - 1), to: peer)
        } else {
            lamport.tick()
            vector.tick(replica)
            record(.local, context: &context)
        }
        armTimer(&context)
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, Never>) {
        switch settings.bug {
        case .lamportNoMax?: lamport.tick()
        default: lamport.receive(message.lamport)
        }
        switch settings.bug {
        case .vectorNoMerge?: vector.tick(replica)
        case .vectorReceiveNoTick?: vector.merge(message.vector)
        default: vector.receive(message.vector, at: replica)
        }
        record(.receive(from: from, sendIndex: message.sendIndex), context: &context)
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, Never>) {}

    mutating func record(_ kind: CausalEvent.Kind, context: inout NodeContext<Message, Never>) {
        let event = CausalEvent(
            node: id, index: events.count, kind: kind, lamport: lamport.time, vector: vector, trueTime: context.trueTime)
        events.append(event)
        let what: String
        switch kind {
        case .local: what = "local"
        case .send(let to): what = "send to n\(to)"
        case .receive(let from, let sendIndex): what = "receive n\(from).e\(sendIndex)"
        }
        context.log("e\(event.index) \(what) L\(event.lamport) \(event.vector)")
    }
}
