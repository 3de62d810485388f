import ConcordSimulation

/// A node for testing the simulator itself: it records everything that
/// happens to it, answers every ping with a pong, and lets tests make it act
/// through `Simulator.withNode`.
struct ProbeNode: SimulatedNode {
    enum Message: Sendable, Hashable, CustomStringConvertible {
        case ping(Int)
        case pong(Int)

        var description: String {
            switch self {
            case .ping(let value): "ping(\(value))"
            case .pong(let value): "pong(\(value))"
            }
        }
    }

    /// The values the node has persisted, in order.
    typealias DurableState = [Int]

    struct Received: Hashable {
        var message: Message
        var from: NodeID
        var trueTime: SimulationInstant
    }

    struct Fired: Hashable {
        var timer: TimerID
        var localTime: SimulationInstant
        var trueTime: SimulationInstant
    }

    let id: NodeID
    let bootedFrom: DurableState?
    var received: [Received] = []
    var fired: [Fired] = []
    var durableTokens: [PersistToken] = []
    /// What the node has asked to persist so far in this incarnation.
    var values: [Int]

    init(id: NodeID, durable: DurableState?, context: inout NodeContext<Message, DurableState>) {
        self.id = id
        bootedFrom = durable
        values = durable ?? []
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, DurableState>) {
        received.append(Received(message: message, from: from, trueTime: context.trueTime))
        if case .ping(let value) = message {
            context.send(.pong(value), to: from)
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, DurableState>) {
        fired.append(Fired(timer: timer, localTime: context.now, trueTime: context.trueTime))
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, DurableState>) {
        durableTokens.append(token)
    }

    /// Appends `value` and persists the whole list.
    @discardableResult
    mutating func write(_ value: Int, context: inout NodeContext<Message, DurableState>) -> PersistToken {
        values.append(value)
        return context.persist(values)
    }

    var pings: [Int] {
        received.compactMap { if case .ping(let value) = $0.message { value } else { nil } }
    }

    var pongs: [Int] {
        received.compactMap { if case .pong(let value) = $0.message { value } else { nil } }
    }
}

extension Simulator where Node == ProbeNode {
    /// Makes node `from` send `.ping(value)` to node `to` now.
    mutating func ping(_ value: Int, from: NodeID, to: NodeID) {
        withNode(from) { _, context in context.send(.ping(value), to: to) }
    }
}
