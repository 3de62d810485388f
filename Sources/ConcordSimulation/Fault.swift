/// A fault (or a repair) the simulator can apply now or at a scheduled time.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// The node stops; its volatile state and unsynced disk writes are lost.
    case crash(NodeID)
    /// A crashed node boots again from its last synced durable state.
    case restart(NodeID)
    /// The node stops handling anything; events for it wait until it resumes.
    case pause(NodeID)
    /// A paused node handles, in order, everything that waited for it.
    case resume(NodeID)
    /// Replaces every blocked link with a symmetric partition: nodes in
    /// different groups cannot reach each other. Nodes named in no group keep
    /// every link (so clients stay connected unless named).
    case partition([[NodeID]])
    /// Blocks the link from `from` to `to`, one way only.
    case block(from: NodeID, to: NodeID)
    /// Unblocks every link.
    case heal
    /// Changes latency, loss, duplication and reordering for all links.
    case network(NetworkConditions)
    /// Sets a node's clock to read true time plus `skew`, from now on running
    /// fast (positive) or slow (negative) by `driftPerMillion`.
    case clockSkew(NodeID, SimulationDuration, driftPerMillion: Int32)
    /// Moves a node's clock by the given amount at once (back if negative).
    case clockJump(NodeID, SimulationDuration)
    /// Adds a fixed delay to every message sent from `from` to `to` from now
    /// on, on top of the network's latency (zero removes it). Different
    /// delays in the two directions make the link asymmetric. `heal` leaves
    /// link delays alone.
    case linkDelay(from: NodeID, to: NodeID, SimulationDuration)

    public var description: String {
        switch self {
        case .crash(let node): "crash n\(node)"
        case .restart(let node): "restart n\(node)"
        case .pause(let node): "pause n\(node)"
        case .resume(let node): "resume n\(node)"
        case .partition(let groups):
            "partition " + groups.map { "{" + $0.map { "n\($0)" }.joined(separator: ",") + "}" }.joined(separator: " ")
        case .block(let from, let to): "block n\(from)->n\(to)"
        case .heal: "heal"
        case .network(let conditions): "network \(conditions)"
        case .clockSkew(let node, let skew, let drift): "clock n\(node) skew \(skew)s drift \(drift)ppm"
        case .clockJump(let node, let amount): "clock n\(node) jump \(amount)s"
        case .linkDelay(let from, let to, let delay): "delay n\(from)->n\(to) \(delay)s"
        }
    }
}
