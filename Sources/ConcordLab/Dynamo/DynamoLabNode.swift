import ConcordDynamo
import ConcordSimulation

/// Any node of a Dynamo lab run, as the simulator sees it: a member of the
/// store or a client.
enum DynamoLabNode: SimulatedNode {
    typealias Message = DynamoLabMessage
    typealias DurableState = StoredState

    case server(DynamoLabServer)
    case client(DynamoLabClient)
    /// Held only while a handler runs, so that the payload being changed is
    /// not shared (and its dictionaries are not copied).
    case moving

    init(id: NodeID, durable: StoredState?, context: inout DynamoLabContext) {
        preconditionFailure("Dynamo lab nodes are built by their scenario's factory")
    }

    mutating func onMessage(_ message: DynamoLabMessage, from: NodeID, context: inout DynamoLabContext) {
        withServer { $0.onMessage(message, from: from, context: &context) }
        withClient { $0.onMessage(message, from: from, context: &context) }
    }

    mutating func onTimer(_ timer: TimerID, context: inout DynamoLabContext) {
        withServer { $0.onTimer(timer, context: &context) }
        withClient { $0.onTimer(timer, context: &context) }
    }

    mutating func onDurable(_ token: PersistToken, context: inout DynamoLabContext) {
        withServer { $0.onDurable(token, context: &context) }
    }

    var server: DynamoLabServer? {
        if case .server(let server) = self { server } else { nil }
    }

    var client: DynamoLabClient? {
        if case .client(let client) = self { client } else { nil }
    }

    /// Calls `body` on the server inside, if this is a server.
    mutating func withServer(_ body: (inout DynamoLabServer) -> Void) {
        guard case .server(var server) = self else { return }
        self = .moving
        body(&server)
        self = .server(server)
    }

    /// Calls `body` on the client inside, if this is a client.
    mutating func withClient(_ body: (inout DynamoLabClient) -> Void) {
        guard case .client(var client) = self else { return }
        self = .moving
        body(&client)
        self = .client(client)
    }
}
