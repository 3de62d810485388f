import ConcordRaft
import ConcordSimulation

/// A server of a Raft lab scenario, as ``RaftLabNode`` drives it.
protocol RaftLabServer {
    /// What the lab's nodes send one another.
    associatedtype Message: Sendable

    /// The server's Raft replica.
    var node: RaftNode { get }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, RaftDurableState>)
    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, RaftDurableState>)
    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, RaftDurableState>)
}

/// A client of a Raft lab scenario, as ``RaftLabNode`` drives it. Clients
/// persist nothing.
protocol RaftLabClient {
    /// What the lab's nodes send one another.
    associatedtype Message: Sendable

    /// What the client's operations returned.
    associatedtype Result: RaftLabResult

    /// Whether the client has no operation in flight.
    var isIdle: Bool { get }
    /// The client's operations, on true time, for the checker.
    var history: HistoryRecorder<KVCommand.Operation, Result> { get }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, RaftDurableState>)
    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, RaftDurableState>)
}

/// A node of a Raft lab (the `raft` and `raft-mvcc` scenarios), as the
/// simulator sees it: a server or a client. The scenario builds every node
/// itself (through the simulator's `makeNode`), because servers need the
/// run's settings and monitor.
enum RaftLabNode<Server: RaftLabServer, Client: RaftLabClient>: SimulatedNode where Server.Message == Client.Message {
    typealias Message = Server.Message
    typealias DurableState = RaftDurableState
    typealias Context = NodeContext<Message, RaftDurableState>

    case server(Server)
    case client(Client)
    /// Held only for the duration of a handler, so that the payload being
    /// changed is not shared (and its arrays are not copied).
    case moving

    init(id: NodeID, durable: RaftDurableState?, context: inout Context) {
        preconditionFailure("a Raft lab node is built by its scenario, which knows the run's settings")
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

/// The `raft` scenario's node: a key-value server or client.
typealias RaftKVLabNode = RaftLabNode<RaftKVServer, RaftKVClient>

extension RaftKVServer: RaftLabServer {}
extension RaftKVClient: RaftLabClient {}
