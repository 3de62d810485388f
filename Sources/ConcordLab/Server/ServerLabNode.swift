import ConcordSimulation
import ConcordStorage

/// A node of the server simulation: a server, or one of the clients.
enum ServerLabNode: SimulatedNode {
    typealias Message = ServerLabMessage
    typealias DurableState = Storage.SimulatedFileSystem

    case server(ServerLabServer)
    case client(ServerLabClient)
    case leaseClient(ServerLabLeaseClient)
    case watcher(ServerLabWatcher)
    case admin(ServerLabAdmin)
    case finalReader(ServerLabFinalReader)
    case zooKeeperClient(ZooKeeperLabClient)
    /// Held while a handler runs, so that the node's value is not copied.
    case moving

    init(id: NodeID, durable: DurableState?, context: inout NodeContext<Message, DurableState>) {
        preconditionFailure("server simulation nodes are built by ServerScenario's factory")
    }

    var server: ServerLabServer? {
        if case .server(let server) = self { return server }
        return nil
    }

    /// True when the node has no request in flight.
    var isIdle: Bool {
        switch self {
        case .server, .watcher: true
        case .client(let client): client.isIdle
        case .leaseClient(let client): client.isIdle
        case .admin(let admin): admin.isIdle
        case .finalReader(let reader): reader.isDone
        case .zooKeeperClient(let client): client.isIdle
        case .moving: true
        }
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, DurableState>) {
        switch self {
        case .server(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .server(node)
        case .client(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .client(node)
        case .leaseClient(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .leaseClient(node)
        case .watcher(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .watcher(node)
        case .admin(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .admin(node)
        case .finalReader(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .finalReader(node)
        case .zooKeeperClient(var node):
            self = .moving
            node.onMessage(message, from: from, context: &context)
            self = .zooKeeperClient(node)
        case .moving:
            preconditionFailure("re-entered a server simulation node")
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, DurableState>) {
        switch self {
        case .server(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .server(node)
        case .client(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .client(node)
        case .leaseClient(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .leaseClient(node)
        case .watcher(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .watcher(node)
        case .admin(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .admin(node)
        case .finalReader(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .finalReader(node)
        case .zooKeeperClient(var node):
            self = .moving
            node.onTimer(timer, context: &context)
            self = .zooKeeperClient(node)
        case .moving:
            preconditionFailure("re-entered a server simulation node")
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, DurableState>) {
        guard case .server(var node) = self else { return }
        self = .moving
        node.onDurable(token, context: &context)
        self = .server(node)
    }
}
