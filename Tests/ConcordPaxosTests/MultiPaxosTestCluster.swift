import ConcordFoundation
@testable import ConcordPaxos

/// A tiny in-test network for `MultiPaxosNode`: nodes stepped directly,
/// messages delivered in FIFO order, links that can be cut, storage in
/// memory, persist requests completed at once unless `manualPersist` holds
/// them.
struct MultiPaxosTestCluster {
    var nodes: [ReplicaID: MultiPaxosNode] = [:]
    var storages: [ReplicaID: MemoryMultiPaxosStorage] = [:]
    var configurations: [ReplicaID: MultiPaxosConfiguration] = [:]
    var inFlight: [MultiPaxosMessage] = []
    var cutLinks: Set<[ReplicaID]> = []
    var applied: [ReplicaID: [MultiPaxosLogEntry]] = [:]
    var installedSnapshots: [ReplicaID: [MultiPaxosSnapshot]] = [:]
    var readStates: [ReplicaID: [MultiPaxosReadState]] = [:]
    var manualPersist: Set<ReplicaID> = []
    var heldPersists: [ReplicaID: [MultiPaxosPersistRequest]] = [:]
    var sent = 0

    init(count: Int, durable: [ReplicaID: MultiPaxosDurableState] = [:], configure: (inout MultiPaxosConfiguration) -> Void = { _ in }) {
        let replicas = (1...count).map { ReplicaID($0) }
        for id in replicas {
            var configuration = MultiPaxosConfiguration(id: id, replicas: replicas)
            configure(&configuration)
            configurations[id] = configuration
            let state = durable[id] ?? MultiPaxosDurableState()
            storages[id] = MemoryMultiPaxosStorage(state)
            nodes[id] = MultiPaxosNode(configuration: configuration, restoring: state, random: SplitMix64(seed: id &* 7919))
            applied[id] = []
        }
    }

    mutating func handle(_ id: ReplicaID, _ output: MultiPaxosOutput) {
        for message in output.messages where !cutLinks.contains([message.from, message.to]) {
            inFlight.append(message)
            sent += 1
        }
        if let snapshot = output.snapshotToInstall {
            installedSnapshots[id, default: []].append(snapshot)
            applied[id] = []
        }
        applied[id, default: []].append(contentsOf: output.committedEntries)
        readStates[id, default: []].append(contentsOf: output.readStates)
        if let request = output.persist {
            if manualPersist.contains(id) {
                heldPersists[id, default: []].append(request)
            } else {
                complete(id, request)
            }
        }
    }

    private mutating func complete(_ id: ReplicaID, _ request: MultiPaxosPersistRequest) {
        try! storages[id]!.persist(request)
        guard nodes[id] != nil else { return }
        handle(id, nodes[id]!.onPersisted(upTo: request.sequence))
    }

    mutating func releasePersists(_ id: ReplicaID) {
        let held = heldPersists[id] ?? []
        heldPersists[id] = []
        for request in held { complete(id, request) }
    }

    /// Makes `id` campaign and delivers until quiet, campaigning again
    /// (with a higher ballot) when refused, up to three times.
    mutating func elect(_ id: ReplicaID) {
        for _ in 0..<3 where nodes[id]!.role != .leader {
            handle(id, nodes[id]!.campaign())
            deliverAll()
        }
    }

    mutating func propose(_ id: ReplicaID, _ commands: [[UInt8]]) throws(MultiPaxosRequestError) {
        let output = try nodes[id]!.propose(batch: commands)
        handle(id, output)
    }

    mutating func tick(_ id: ReplicaID) {
        guard nodes[id] != nil else { return }
        handle(id, nodes[id]!.tick())
    }

    mutating func deliver(at index: Int) {
        let message = inFlight.remove(at: index)
        guard nodes[message.to] != nil, !cutLinks.contains([message.from, message.to]) else { return }
        handle(message.to, nodes[message.to]!.step(message))
    }

    mutating func deliverAll(limit: Int = 100_000) {
        var steps = 0
        while !inFlight.isEmpty && steps < limit {
            deliver(at: 0)
            steps += 1
        }
    }

    /// Cuts both directions between `id` and every other replica.
    mutating func isolate(_ id: ReplicaID) {
        for other in nodes.keys where other != id {
            cutLinks.insert([id, other])
            cutLinks.insert([other, id])
        }
    }

    mutating func heal() { cutLinks = [] }

    mutating func crash(_ id: ReplicaID) {
        nodes[id] = nil
        heldPersists[id] = []
        inFlight.removeAll { $0.to == id }
    }

    mutating func restart(_ id: ReplicaID) {
        nodes[id] = MultiPaxosNode(configuration: configurations[id]!, restoring: storages[id]!.state, random: SplitMix64(seed: id &* 31))
        applied[id] = []
    }

    /// The commands applied by `id`, in order (no-ops left out).
    func commands(_ id: ReplicaID) -> [[UInt8]] {
        applied[id, default: []].filter { $0.kind == .command }.map(\.data)
    }

    var leader: ReplicaID? { nodes.values.first { $0.role == .leader }?.id }
}
