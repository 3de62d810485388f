import ConcordCRDT
import ConcordClocks
import ConcordSimulation

/// The simulator's adapter for a ``DeltaGossipReplica`` of ``GossipState``:
/// it persists the state after every change, arms the gossip timer and sends
/// what the replica asks to send.
///
/// Durable before visible: a tick gossips only once every change so far is
/// on disk; until then it is deferred to the next `onDurable`. So whatever a
/// peer hears survives a crash of this node, and a restarted replica, which
/// mints dots and counter increments from its recovered state, can never
/// reuse a dot or an increment that others have already seen. A client
/// update is acknowledged when the persist that follows it is durable.
public struct CRDTGossipNode: SimulatedNode {
    public typealias Message = DeltaGossipReplica<GossipState>.Message
    public typealias DurableState = GossipState
    public typealias Context = NodeContext<Message, GossipState>

    /// The time between gossip ticks on the node's own clock, before jitter.
    public static let gossipInterval = SimulationDuration.milliseconds(20)
    /// The most a tick may be late, drawn from the node's stream.
    public static let gossipJitterMax = SimulationDuration.milliseconds(5)
    static let gossipTimer = TimerID(1)

    /// The replica this node runs.
    public private(set) var replica: DeltaGossipReplica<GossipState>
    /// A random name for this boot of the node: it changes at every restart.
    public let incarnation: UInt64
    /// The last persist asked for in this incarnation.
    public private(set) var latestToken: PersistToken?
    /// The last persist known durable in this incarnation.
    public private(set) var durableToken: PersistToken?
    private var tickDeferred = false
    /// Test-only: gossip without waiting for the disk (a known bug).
    private let gossipsBeforeDurable: Bool

    /// A replica gossiping with every other node, by deltas, with the
    /// correct join, starting from the recovered state if any.
    public init(id: NodeID, durable: GossipState?, context: inout Context) {
        let peers = context.nodeIDs.filter { $0 != id }
        self.init(replica: DeltaGossipReplica(id: id, peers: peers, state: durable ?? GossipState()), context: &context)
    }

    /// A node running `replica`. `gossipsBeforeDurable` is a test-only
    /// switch that re-introduces a known bug: gossiping changes before they
    /// are durable.
    public init(replica: DeltaGossipReplica<GossipState>, gossipsBeforeDurable: Bool = false, context: inout Context) {
        self.replica = replica
        self.gossipsBeforeDurable = gossipsBeforeDurable
        incarnation = context.random.next()
        scheduleTick(&context)
    }

    /// True when every change of this incarnation is durable.
    public var isDurable: Bool {
        guard let latestToken else { return true }
        return durableToken.map { $0 >= latestToken } ?? false
    }

    /// Applies a client update (a delta mutator returning its delta) and
    /// persists the state. Returns the token whose durability acknowledges it.
    public mutating func update(_ mutate: (inout GossipState) -> GossipState, context: inout Context) -> PersistToken {
        replica.update(mutate)
        return persist(&context)
    }

    public mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        let before = replica.recordedDeltaCount
        let replies = replica.onMessage(message, from: from)
        if replica.recordedDeltaCount != before {
            _ = persist(&context)
        }
        for (peer, reply) in replies {
            context.send(reply, to: peer)
        }
    }

    public mutating func onTimer(_ timer: TimerID, context: inout Context) {
        if isDurable || gossipsBeforeDurable {
            gossip(&context)
        } else {
            tickDeferred = true
        }
        scheduleTick(&context)
    }

    public mutating func onDurable(_ token: PersistToken, context: inout Context) {
        durableToken = max(durableToken ?? token, token)
        if tickDeferred && isDurable {
            tickDeferred = false
            gossip(&context)
        }
    }

    private mutating func persist(_ context: inout Context) -> PersistToken {
        let token = context.persist(replica.state)
        latestToken = token
        return token
    }

    private mutating func gossip(_ context: inout Context) {
        for (peer, message) in replica.onTick() {
            context.send(message, to: peer)
        }
    }

    private func scheduleTick(_ context: inout Context) {
        let jitter = context.random.next(in: 0...Self.gossipJitterMax.nanoseconds)
        context.setTimer(Self.gossipTimer, after: Self.gossipInterval + .nanoseconds(jitter))
    }

    /// How a message appears in the trace: its kind and sequence, plus the
    /// G-Counter's value (never the whole state, whose dictionary order is
    /// not deterministic, and nothing costly: every message is hashed).
    static func describe(_ message: Message) -> String {
        switch message {
        case .delta(let state, let sequence): "delta<\(sequence) counter \(state.counter.value)"
        case .fullState(let state, let sequence): "full<\(sequence) counter \(state.counter.value)"
        case .acknowledgement(let sequence): "ack<\(sequence)"
        }
    }
}
