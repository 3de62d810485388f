import ConcordSimulation

/// Any node of the register scenario, as the simulator sees it: a server, the
/// coordinator or a client.
struct RegisterNode: SimulatedNode {
    typealias Message = RegisterMessage
    typealias DurableState = RegisterDurableState

    enum Role {
        case server(RegisterServer)
        case coordinator(RegisterCoordinator)
        case client(RegisterClient)
    }

    var role: Role

    init(role: Role) {
        self.role = role
    }

    /// Nodes of this scenario are built by `RegisterScenario.makeNode`, which
    /// knows each one's part; a bare id is not enough.
    init(id: NodeID, durable: RegisterDurableState?, context: inout RegisterContext) {
        preconditionFailure("register nodes are built by RegisterScenario.makeNode")
    }

    mutating func onMessage(_ message: RegisterMessage, from: NodeID, context: inout RegisterContext) {
        switch role {
        case .server(var server):
            server.onMessage(message, from: from, context: &context)
            role = .server(server)
        case .coordinator(var coordinator):
            coordinator.onMessage(message, from: from, context: &context)
            role = .coordinator(coordinator)
        case .client(var client):
            client.onMessage(message, from: from, context: &context)
            role = .client(client)
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout RegisterContext) {
        switch role {
        case .server(var server):
            server.onTimer(timer, context: &context)
            role = .server(server)
        case .coordinator(var coordinator):
            coordinator.onTimer(timer, context: &context)
            role = .coordinator(coordinator)
        case .client(var client):
            client.onTimer(timer, context: &context)
            role = .client(client)
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout RegisterContext) {
        switch role {
        case .server(var server):
            server.onDurable(token, context: &context)
            role = .server(server)
        case .coordinator(var coordinator):
            coordinator.onDurable(token, context: &context)
            role = .coordinator(coordinator)
        case .client:
            break
        }
    }

    var client: RegisterClient? {
        if case .client(let client) = role { client } else { nil }
    }

    var server: RegisterServer? {
        if case .server(let server) = role { server } else { nil }
    }
}
