import ConcordDynamo
import ConcordSimulation

/// Builds and drives one Dynamo lab run: the simulator with its members and
/// clients, ring changes at their times, and the checks of the state the
/// members reach.
struct DynamoLabRun {
    let settings: DynamoLabSettings
    let ring: DynamoLabRing
    let traffic: DynamoLabTraffic
    var simulator: Simulator<DynamoLabNode>

    init(
        seed: UInt64, settings: DynamoLabSettings, recordsTrace: Bool, network: NetworkConditions = .init(),
        stored: [NodeID: StoredState] = [:], scriptedClients: Bool = false, recordsEvents: Bool = false
    ) {
        self.settings = settings
        let members = settings.members.map { MemberID(node: $0) }
        // Ring ids are small integers here, whose actor identities never collide.
        let ring = DynamoLabRing(try! Ring(members: members, virtualNodesPerMember: settings.dynamo.virtualNodesPerMember))
        let traffic = DynamoLabTraffic()
        self.ring = ring
        self.traffic = traffic
        let clients = settings.clients
        simulator = Simulator<DynamoLabNode>(
            seed: seed, nodeIDs: settings.servers + settings.clients, network: network, recordsTrace: recordsTrace,
            recordsEvents: recordsEvents, describeMessage: { $0.description },
            makeNode: { id, durable, context in
                if let index = clients.firstIndex(of: id) {
                    return .client(DynamoLabClient(id: id, index: index, settings: settings, scripted: scriptedClients, context: &context))
                }
                return .server(DynamoLabServer(
                    id: id, durable: durable ?? stored[id], ring: ring.ring, settings: settings.dynamo,
                    tickInterval: settings.tickInterval, traffic: traffic, context: &context))
            })
    }

    /// Runs until `end`, applying the settings' ring changes on the way.
    mutating func run(until end: SimulationInstant) {
        var changes: [(SimulationInstant, () -> [MemberID])] = []
        let members = settings.members.map { MemberID(node: $0) }
        if let joining = settings.joining, let at = settings.joinAt {
            changes.append((at, { members + [MemberID(node: joining)] }))
        }
        if let leaving = settings.leaving, let at = settings.leaveAt {
            changes.append((at, { members.filter { $0 != MemberID(node: leaving) } }))
        }
        for (at, newMembers) in changes.sorted(by: { $0.0 < $1.0 }) where at > simulator.now && at <= end {
            simulator.run(until: at)
            changeRing(to: newMembers())
        }
        simulator.run(until: end)
    }

    /// Gives every running member the new ring (restarting members read it
    /// at boot).
    mutating func changeRing(to members: [MemberID]) {
        let current = ring.ring.members
        guard Set(current) != Set(members) else { return }
        let new = try! Ring(members: members, virtualNodesPerMember: settings.dynamo.virtualNodesPerMember)
        ring.ring = new
        for server in settings.servers {
            simulator.withNode(server) { node, context in
                node.withServer { $0.ringChanged(new, context: &context) }
            }
        }
    }

    /// Restarts, resumes and reconnects every member.
    mutating func healEverything() {
        simulator.heal()
        var network = simulator.network
        network.lossPerMillion = 0
        simulator.setNetwork(network)
        for server in settings.servers {
            simulator.restart(server)
            simulator.resume(server)
        }
    }

    /// Why the members have not converged (empty once they have): every
    /// key is held by exactly its replicas, with equal copies, and no hint
    /// or pending write is left anywhere.
    func divergence() -> [String] {
        var problems: [String] = []
        var holders: [ByteString: [(NodeID, UInt64)]] = [:]
        for server in settings.servers {
            guard let node = simulator.node(server)?.server?.node else {
                problems.append("n\(server) is down")
                continue
            }
            let hintCount = node.hints.values.reduce(0) { $0 + $1.count }
            if hintCount > 0 { problems.append("n\(server) holds \(hintCount) hints") }
            let pendingCount = node.pending.values.reduce(0) { $0 + $1.count }
            if pendingCount > 0 {
                var blocked: [String] = []
                for key in node.pending.keys.sorted() {
                    for write in node.pending[key]! {
                        for dependency in write.dependencies where !isVisibleEverywhere(dependency) {
                            blocked.append("\(key) waits for \(dependency.key)@\(DynamoLabActors.describe(dependency.version))")
                        }
                    }
                }
                problems.append("n\(server) holds \(pendingCount) pending writes (\(Set(blocked).sorted().prefix(3).joined(separator: ", ")))")
            }
            for (key, object) in node.objects {
                holders[key, default: []].append((server, object.digest))
            }
        }
        let ring = ring.ring
        let replicaCount = min(settings.dynamo.replicationFactor, ring.members.count)
        for key in holders.keys.sorted() {
            let replicas = Set(ring.replicas(of: key, count: replicaCount).map(\.node))
            let held = holders[key]!
            if Set(held.map(\.0)) != replicas {
                problems.append("\(key) held by \(held.map { "n\($0.0)" }.sorted().joined(separator: ",")), replicas \(replicas.sorted().map { "n\($0)" }.joined(separator: ","))")
            } else if Set(held.map(\.1)).count > 1 {
                problems.append("\(key) differs between replicas")
            }
        }
        return problems
    }

    /// Whether every replica of the dependency's key covers it.
    func isVisibleEverywhere(_ dependency: Dependency) -> Bool {
        let replicas = ring.ring.replicas(of: dependency.key, count: min(settings.dynamo.replicationFactor, ring.ring.members.count))
        return replicas.allSatisfy { replica in
            guard let copy = simulator.node(replica.node)?.server?.node.objects[dependency.key] else { return dependency.version.isEmpty }
            return dependency.version.entries.allSatisfy { copy.version[$0.key] >= $0.value }
        }
    }

    /// The converged copy of `key` (nil when no member holds it).
    func finalCopy(of key: String) -> StoredObject? {
        let key = ByteString(key)
        let replicas = ring.ring.replicas(of: key, count: min(settings.dynamo.replicationFactor, ring.ring.members.count))
        for replica in replicas {
            if let object = simulator.node(replica.node)?.server?.node.objects[key] { return object }
        }
        return nil
    }

    /// The members' statistics, added up.
    var statistics: DynamoStatistics {
        var total = DynamoStatistics()
        for server in settings.servers {
            guard let node = simulator.node(server)?.server?.node else { continue }
            let part = node.statistics
            total.readRepairs += part.readRepairs
            total.hintsStored += part.hintsStored
            total.hintsDelivered += part.hintsDelivered
            total.antiEntropyExchanges += part.antiEntropyExchanges
            total.antiEntropyRepairs += part.antiEntropyRepairs
            total.tombstonesCollected += part.tombstonesCollected
            total.causalWritesShown += part.causalWritesShown
            total.coordinated += part.coordinated
            total.forwarded += part.forwarded
        }
        return total
    }

    /// Every client's records.
    var records: [DynamoLabRecord] {
        settings.clients.flatMap { simulator.node($0)?.client?.records ?? [] }
    }

    /// Whether no client has an operation in flight.
    var clientsIdle: Bool {
        settings.clients.allSatisfy { simulator.node($0)?.client?.isIdle ?? true }
    }

    /// Faults and what nodes logged, not every message.
    static func isTimelineLine(_ line: String) -> Bool {
        RegisterScenario.isTimelineLine(line)
    }
}
