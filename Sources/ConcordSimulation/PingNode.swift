/// A message-heavy workload for measuring and testing the simulator itself:
/// every round, each node pings every other node, answers every ping with a
/// pong, and persists the number of the round it reached.
///
/// With `n` nodes a round makes `2·n·(n−1)` deliveries, `n` timer firings and
/// `n` disk syncs.
public struct PingNode: SimulatedNode {
    public enum Message: Sendable, Hashable, CustomStringConvertible {
        case ping(round: UInt64)
        case pong(round: UInt64)

        public var description: String {
            switch self {
            case .ping(let round): "ping \(round)"
            case .pong(let round): "pong \(round)"
            }
        }
    }

    /// The last round the node persisted.
    public typealias DurableState = UInt64

    /// The time between rounds on the node's own clock, before jitter.
    public static let roundInterval = SimulationDuration.milliseconds(10)
    /// The most a round may start late, drawn from the node's stream.
    public static let roundJitterMax = SimulationDuration.milliseconds(2)
    static let roundTimer = TimerID(1)

    /// The node's id.
    public let id: NodeID
    /// The round the node is in; a restart resumes from the last synced one.
    public private(set) var round: UInt64
    /// Pongs received in this incarnation.
    public private(set) var pongsReceived: UInt64 = 0
    /// The highest round known to be durable.
    public private(set) var durableRound: UInt64
    private var pendingRounds: [PersistToken: UInt64] = [:]

    public init(id: NodeID, durable: UInt64?, context: inout NodeContext<Message, UInt64>) {
        self.id = id
        round = durable ?? 0
        durableRound = durable ?? 0
        scheduleRound(&context)
    }

    public mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, UInt64>) {
        switch message {
        case .ping(let round):
            context.send(.pong(round: round), to: from)
        case .pong:
            pongsReceived += 1
        }
    }

    public mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, UInt64>) {
        round += 1
        for peer in context.nodeIDs where peer != id {
            context.send(.ping(round: round), to: peer)
        }
        pendingRounds[context.persist(round)] = round
        scheduleRound(&context)
    }

    public mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, UInt64>) {
        if let synced = pendingRounds.removeValue(forKey: token) {
            durableRound = max(durableRound, synced)
        }
    }

    private func scheduleRound(_ context: inout NodeContext<Message, UInt64>) {
        let jitter = context.random.next(in: 0...Self.roundJitterMax.nanoseconds)
        context.setTimer(Self.roundTimer, after: Self.roundInterval + .nanoseconds(jitter))
    }
}
