import ConcordFoundation
@testable import ConcordPaxos

/// A tiny in-test network for `PaxosNode`: nodes stepped directly, messages
/// delivered in the order a test chooses, storage in memory, persist
/// requests completed at once unless `manualPersist` holds them.
struct PaxosTestCluster {
    var nodes: [ReplicaID: PaxosNode] = [:]
    var storage: [ReplicaID: PaxosDurableState] = [:]
    var configurations: [ReplicaID: PaxosConfiguration] = [:]
    var inFlight: [PaxosMessage] = []
    var chosen: [ReplicaID: [ChosenValue]] = [:]
    var manualPersist: Set<ReplicaID> = []
    var heldPersists: [ReplicaID: [PaxosPersistRequest]] = [:]
    /// Every value each replica learned, by slot (not only the prefix).
    var messagesDelivered = 0

    init(count: Int, configure: (inout PaxosConfiguration) -> Void = { _ in }) {
        let replicas = (1...count).map { ReplicaID($0) }
        for id in replicas {
            var configuration = PaxosConfiguration(id: id, replicas: replicas)
            configure(&configuration)
            configurations[id] = configuration
            storage[id] = PaxosDurableState()
            nodes[id] = PaxosNode(configuration: configuration, random: SplitMix64(seed: id &* 7919))
            chosen[id] = []
        }
    }

    mutating func handle(_ id: ReplicaID, _ output: PaxosOutput) {
        inFlight.append(contentsOf: output.messages)
        chosen[id, default: []].append(contentsOf: output.chosen)
        if let request = output.persist {
            if manualPersist.contains(id) {
                heldPersists[id, default: []].append(request)
            } else {
                complete(id, request)
            }
        }
    }

    private mutating func complete(_ id: ReplicaID, _ request: PaxosPersistRequest) {
        storage[id]!.apply(request)
        guard nodes[id] != nil else { return }
        handle(id, nodes[id]!.onPersisted(upTo: request.sequence))
    }

    /// Completes the persist requests held for `id`.
    mutating func releasePersists(_ id: ReplicaID) {
        let held = heldPersists[id] ?? []
        heldPersists[id] = []
        for request in held { complete(id, request) }
    }

    mutating func propose(_ id: ReplicaID, _ value: [UInt8]) {
        let output = try! nodes[id]!.propose(value)
        handle(id, output)
    }

    mutating func tick(_ id: ReplicaID) {
        guard nodes[id] != nil else { return }
        handle(id, nodes[id]!.tick())
    }

    /// Delivers the in-flight message at `index`.
    mutating func deliver(at index: Int) {
        let message = inFlight.remove(at: index)
        messagesDelivered += 1
        guard nodes[message.to] != nil else { return }
        handle(message.to, nodes[message.to]!.step(message))
    }

    /// Delivers messages in FIFO order until none is left (or `limit`).
    mutating func deliverAll(limit: Int = 10_000) {
        var steps = 0
        while !inFlight.isEmpty && steps < limit {
            deliver(at: 0)
            steps += 1
        }
    }

    /// Drops every message in flight to or from `id`.
    mutating func dropMessages(involving id: ReplicaID) {
        inFlight.removeAll { $0.to == id || $0.from == id }
    }

    /// Crashes `id`: its volatile state and held writes are lost.
    mutating func crash(_ id: ReplicaID) {
        nodes[id] = nil
        heldPersists[id] = []
        inFlight.removeAll { $0.to == id }
    }

    /// Restarts `id` from what its storage holds.
    mutating func restart(_ id: ReplicaID) {
        nodes[id] = PaxosNode(configuration: configurations[id]!, restoring: storage[id]!, random: SplitMix64(seed: id &* 31))
        chosen[id] = []
        handle(id, nodes[id]!.tick())
    }

    /// The value each replica learned in `slot`.
    func learned(_ slot: UInt64) -> [ReplicaID: [UInt8]] {
        var result: [ReplicaID: [UInt8]] = [:]
        for (id, node) in nodes {
            if let value = node.chosenValue(at: slot) { result[id] = value }
        }
        return result
    }
}
