import ConcordClocks
import ConcordDynamo

/// A tiny deterministic driver for unit tests: members exchange messages
/// through one FIFO queue, records are durable at once, and tests can take
/// members down (their messages are dropped) or cut single links.
struct TestCluster {
    var nodes: [MemberID: DynamoNode] = [:]
    var stored: [MemberID: StoredState] = [:]
    var down: Set<MemberID> = []
    var cut: Set<[MemberID]> = []
    var queue: [(from: MemberID, envelope: Envelope)] = []
    var replies: [UInt64: ClientReply] = [:]
    var delivered: [DynamoMessage] = []
    var notes: [String] = []
    var now: Int64 = 1_000_000_000
    var nextRequest: UInt64 = 1
    let settings: DynamoSettings
    var ring: Ring

    init(members: [MemberID], settings: DynamoSettings = TestCluster.defaultSettings, virtualNodes: Int = 4) {
        self.settings = settings
        ring = try! Ring(members: members, virtualNodesPerMember: virtualNodes)
        for member in members {
            var node = DynamoNode(member: member, ring: ring, settings: settings, stored: nil, seed: member.rawValue)
            let output = node.start(now: now)
            nodes[member] = node
            perform(output, from: member)
        }
        deliverAll()
    }

    static var defaultSettings: DynamoSettings {
        var settings = DynamoSettings()
        settings.virtualNodesPerMember = 4
        return settings
    }

    mutating func perform(_ output: DynamoOutput, from member: MemberID) {
        stored[member, default: StoredState()].apply(output.records)
        for envelope in output.messages { queue.append((member, envelope)) }
        for reply in output.replies { replies[reply.id] = reply }
        notes += output.notes
    }

    /// Delivers queued messages (and those they cause) until none is left.
    mutating func deliverAll(limit: Int = 100_000) {
        var steps = 0
        while !queue.isEmpty && steps < limit {
            steps += 1
            let (from, envelope) = queue.removeFirst()
            guard !down.contains(envelope.to), !down.contains(from), !cut.contains([from, envelope.to]),
                var node = nodes[envelope.to]
            else { continue }
            delivered.append(envelope.message)
            let output = node.onMessage(envelope.message, from: from, now: now)
            nodes[envelope.to] = node
            perform(output, from: envelope.to)
        }
    }

    /// Sends a request to `member` and returns its id.
    @discardableResult
    mutating func request(
        _ key: ByteString, _ operation: ClientOperation, at member: MemberID, consistency: RequestConsistency = .quorum,
        session: SessionToken? = nil, expiry: ExpiryChange = .keep, deliver: Bool = true
    ) -> UInt64 {
        let id = nextRequest
        nextRequest += 1
        var node = nodes[member]!
        let output = node.onClientRequest(
            ClientRequest(id: id, key: key, operation: operation, consistency: consistency, session: session, expiry: expiry),
            now: now)
        nodes[member] = node
        perform(output, from: member)
        if deliver { deliverAll() }
        return id
    }

    /// Ticks every running member `count` times, delivering after each tick.
    mutating func tick(_ count: Int = 1) {
        for _ in 0..<count {
            now += 10_000_000
            for member in nodes.keys.sorted() where !down.contains(member) {
                var node = nodes[member]!
                let output = node.onTick(now: now)
                nodes[member] = node
                perform(output, from: member)
            }
            deliverAll()
        }
    }

    /// Restarts a member from its durable state.
    mutating func restart(_ member: MemberID) {
        down.remove(member)
        var node = DynamoNode(member: member, ring: ring, settings: settings, stored: stored[member], seed: member.rawValue + 99)
        let output = node.start(now: now)
        nodes[member] = node
        perform(output, from: member)
        deliverAll()
    }

    mutating func changeRing(_ members: [MemberID]) {
        ring = try! Ring(members: members, virtualNodesPerMember: ring.virtualNodesPerMember)
        for member in members where nodes[member] == nil {
            var node = DynamoNode(member: member, ring: ring, settings: settings, stored: nil, seed: member.rawValue)
            perform(node.start(now: now), from: member)
            nodes[member] = node
        }
        for member in nodes.keys.sorted() where !down.contains(member) {
            var node = nodes[member]!
            let output = node.onRingChange(ring, now: now)
            nodes[member] = node
            perform(output, from: member)
        }
        deliverAll()
    }

    func outcome(_ id: UInt64) -> ClientOutcome? { replies[id]?.outcome }

    /// Sends a request and returns its outcome (nil while it has none).
    mutating func result(
        _ key: ByteString, _ operation: ClientOperation, at member: MemberID, consistency: RequestConsistency = .quorum,
        session: SessionToken? = nil
    ) -> ClientOutcome? {
        let id = request(key, operation, at: member, consistency: consistency, session: session)
        return outcome(id)
    }

    /// The first `count` replicas of `key`.
    func replicas(_ key: ByteString, count: Int = 3) -> [MemberID] {
        ring.replicas(of: key, count: count)
    }

    /// A member that is not among the first `count` replicas of `key`.
    func nonReplica(_ key: ByteString, count: Int = 3) -> MemberID? {
        ring.members.first { !replicas(key, count: count).contains($0) }
    }
}

extension ClientOutcome {
    var readValue: ReadValue? {
        switch self {
        case .read(let value, _), .written(let value, _), .conditionNotMet(let value): value
        case .failed, .keys: nil
        }
    }

    var context: VersionVector? {
        switch self {
        case .read(_, let context): context
        case .written(_, let version): version
        default: nil
        }
    }

    var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }
}
