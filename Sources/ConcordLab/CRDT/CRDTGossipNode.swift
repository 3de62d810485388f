import ConcordCRDT
import ConcordClocks
import ConcordSimulation

/// The simulator's adapter for a ``DeltaGossipReplica`` of ``GossipState``:
/// it arms the gossip timer and sends what the replica asks to send.
///
/// The replicas keep their state in memory only; the `crdt-gossip` scenario
/// pauses nodes but does not crash them (see ``CRDTGossip``).
public struct CRDTGossipNode: SimulatedNode {
    public typealias Message = DeltaGossipReplica<GossipState>.Message
    public typealias DurableState = Never

    /// The time between gossip ticks on the node's own clock, before jitter.
    public static let gossipInterval = SimulationDuration.milliseconds(20)
    /// The most a tick may be late, drawn from the node's stream.
    public static let gossipJitterMax = SimulationDuration.milliseconds(5)
    static let gossipTimer = TimerID(1)

    /// The replica this node runs.
    public var replica: DeltaGossipReplica<GossipState>

    /// A replica gossiping with every other node, by deltas, with the correct join.
    public init(id: NodeID, durable: Never?, context: inout NodeContext<Message, Never>) {
        self.init(replica: DeltaGossipReplica(id: id, peers: context.nodeIDs.filter { $0 != id }), context: &context)
    }

    /// A node running `replica`.
    public init(replica: DeltaGossipReplica<GossipState>, context: inout NodeContext<Message, Never>) {
        self.replica = replica
        scheduleTick(&context)
    }

    public mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, Never>) {
        for (peer, reply) in replica.onMessage(message, from: from) {
            context.send(reply, to: peer)
        }
    }

    public mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, Never>) {
        for (peer, message) in replica.onTick() {
            context.send(message, to: peer)
        }
        scheduleTick(&context)
    }

    public mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, Never>) {}

    private func scheduleTick(_ context: inout NodeContext<Message, Never>) {
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
