/// A process the simulator drives: a server of some protocol, or a client.
///
/// A protocol core is not itself a `SimulatedNode`: a small adapter wraps the
/// core, calls its handlers and translates the core's outputs into calls on
/// the `NodeContext` (send, set a timer, persist). The same core then runs
/// unchanged in the real server, behind another adapter.
///
/// Every handler receives a context that collects the node's effects; the
/// simulator performs them when the handler returns, in the order made.
public protocol SimulatedNode {
    /// What nodes send one another.
    associatedtype Message: Sendable
    /// What survives a crash: the state this node asked to persist and that
    /// reached its simulated disk's sync before the crash.
    associatedtype DurableState: Sendable

    /// Boots the node (`durable == nil`) or restarts it after a crash from the
    /// last state its disk synced.
    init(id: NodeID, durable: DurableState?, context: inout NodeContext<Message, DurableState>)

    /// A message from `from` arrives.
    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, DurableState>)

    /// The timer `timer`, armed with `NodeContext.setTimer`, fires.
    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, DurableState>)

    /// The persist request `token`, and every earlier one of this node, is
    /// durable now: it would survive a crash.
    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, DurableState>)
}
