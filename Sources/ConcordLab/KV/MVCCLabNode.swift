import ConcordRaft
import ConcordSimulation

/// A node of the MVCC lab, as the simulator sees it: a server or a client.
/// The scenario builds every node itself, because servers need the run's
/// settings, bug and safety monitor.
enum MVCCLabNode: SimulatedNode {
    typealias Message = MVCCLabMessage
    typealias DurableState = RaftDurableState
    typealias Context = NodeContext<MVCCLabMessage, RaftDurableState>

    case server(MVCCKVServer)
    case client(MVCCKVClient)
    /// Held only for the duration of a handler, so that the payload being
    /// changed is not shared (and its arrays are not copied).
    case moving

    init(id: NodeID, durable: RaftDurableState?, context: inout Context) {
        preconditionFailure("MVCCLabNode is built by the raft-mvcc scenario, which knows the run's settings")
    }

    var server: MVCCKVServer? {
        if case .server(let server) = self { return server }
        return nil
    }

    var client: MVCCKVClient? {
        if case .client(let client) = self { return client }
        return nil
    }

    mutating func onMessage(_ message: MVCCLabMessage, from: NodeID, context: inout Context) {
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
