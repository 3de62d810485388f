import ConcordSimulation

/// What a Paxos-family lab server counts, for reports and measurements.
struct PaxosLabCounters: Sendable, Hashable {
    /// Messages sent to other servers.
    var peerMessages = 0
    /// Command and snapshot bytes those messages carried.
    var peerPayloadBytes = 0
    /// Client commands applied to the state machine (duplicates included).
    var commandsApplied = 0
}

/// A server of a Paxos-family lab scenario, as ``PaxosLabNode`` drives it:
/// a small adapter around one core that performs the core's outputs.
protocol PaxosLabServer {
    /// The core's message between servers.
    associatedtype Peer: Sendable & CustomStringConvertible
    /// The core's durable state.
    associatedtype Durable: Sendable

    typealias Context = NodeContext<PaxosLabMessage<Peer>, Durable>

    /// True while this server leads (coordinates); always false in a
    /// leaderless protocol.
    var leads: Bool { get }
    /// Promises and acceptances the server's acceptor answered so far.
    var acceptorAnswers: Int { get }
    /// What the server counted.
    var counters: PaxosLabCounters { get }

    mutating func onMessage(_ message: PaxosLabMessage<Peer>, from: NodeID, context: inout Context)
    mutating func onTimer(_ timer: TimerID, context: inout Context)
    mutating func onDurable(_ token: PersistToken, context: inout Context)
}

/// A node of a Paxos-family lab as the simulator sees it: a server or a
/// client. The scenario builds every node itself (through the simulator's
/// `makeNode`), because servers need the run's settings and monitor.
enum PaxosLabNode<Server: PaxosLabServer>: SimulatedNode {
    typealias Message = PaxosLabMessage<Server.Peer>
    typealias DurableState = Server.Durable
    typealias Context = NodeContext<Message, DurableState>
    typealias Client = PaxosKVClient<Server.Peer, Server.Durable>

    case server(Server)
    case client(Client)
    /// Held only for the duration of a handler, so that the payload being
    /// changed is not shared.
    case moving

    init(id: NodeID, durable: DurableState?, context: inout Context) {
        preconditionFailure("a Paxos lab node is built by its scenario, which knows the run's settings")
    }

    var server: Server? {
        if case .server(let server) = self { return server }
        return nil
    }

    var client: Client? {
        if case .client(let client) = self { return client }
        return nil
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout Context) {
        switch self {
        case .server(var server):
            self = .moving
            server.onMessage(message, from: from, context: &context)
            self = .server(server)
        case .client(var client):
            self = .moving
            client.onMessage(message, from: from, context: &context)
            self = .client(client)
        case .moving:
            preconditionFailure("re-entered a lab node")
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch self {
        case .server(var server):
            self = .moving
            server.onTimer(timer, context: &context)
            self = .server(server)
        case .client(var client):
            self = .moving
            client.onTimer(timer, context: &context)
            self = .client(client)
        case .moving:
            preconditionFailure("re-entered a lab node")
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        switch self {
        case .server(var server):
            self = .moving
            server.onDurable(token, context: &context)
            self = .server(server)
        case .client, .moving:
            break
        }
    }
}
