import ConcordDynamo
import ConcordSimulation

/// The simulator's shell around one ``DynamoNode``: it ticks the core,
/// hands it messages and client requests, and performs its outputs under
/// their ordering contract: records go to the simulated disk, and an
/// output's messages and replies leave only once its records (and every
/// earlier output's) are synced.
struct DynamoLabServer {
    static let tickTimer = TimerID(1)

    var node: DynamoNode
    let tickInterval: SimulationDuration
    let traffic: DynamoLabTraffic?
    /// The durable image the member asked for last (records applied).
    var image: StoredState
    /// The token of the last persist requested, and the last one synced.
    var lastPersist: PersistToken?
    var durableThrough: PersistToken?
    /// Outputs waiting for their records, in order.
    var waiting: [(gate: PersistToken, messages: [Envelope], replies: [ClientReply])] = []
    /// The member's request numbers → the client and its own number.
    var clients: [UInt64: (client: NodeID, number: UInt64)] = [:]
    var nextRequest: UInt64 = 1
    /// Client requests seen, so that one the network duplicates runs once
    /// (a server's client connections do not duplicate).
    var seen: Set<ClientRequestName> = []

    struct ClientRequestName: Hashable {
        var client: NodeID
        var number: UInt64
    }

    init(
        id: NodeID, durable: StoredState?, ring: Ring, settings: DynamoSettings, tickInterval: SimulationDuration,
        traffic: DynamoLabTraffic?, context: inout DynamoLabContext
    ) {
        node = DynamoNode(member: MemberID(node: id), ring: ring, settings: settings, stored: durable, seed: context.random.next())
        self.tickInterval = tickInterval
        self.traffic = traffic
        image = durable ?? StoredState()
        let output = node.start(now: context.now.nanoseconds)
        perform(output, &context)
        context.setTimer(Self.tickTimer, after: tickInterval)
    }

    mutating func onMessage(_ message: DynamoLabMessage, from: NodeID, context: inout DynamoLabContext) {
        switch message {
        case .peer(let peer):
            perform(node.onMessage(peer, from: MemberID(node: from), now: context.now.nanoseconds), &context)
        case .request(var request):
            guard seen.insert(ClientRequestName(client: from, number: request.id)).inserted else { return }
            let number = nextRequest
            nextRequest += 1
            clients[number] = (from, request.id)
            request.id = number
            perform(node.onClientRequest(request, now: context.now.nanoseconds), &context)
        case .reply:
            break
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout DynamoLabContext) {
        guard timer == Self.tickTimer else { return }
        perform(node.onTick(now: context.now.nanoseconds), &context)
        context.setTimer(Self.tickTimer, after: tickInterval)
    }

    mutating func onDurable(_ token: PersistToken, context: inout DynamoLabContext) {
        durableThrough = token
        while let first = waiting.first, first.gate <= token {
            waiting.removeFirst()
            send(first.messages, first.replies, &context)
        }
    }

    mutating func ringChanged(_ ring: Ring, context: inout DynamoLabContext) {
        perform(node.onRingChange(ring, now: context.now.nanoseconds), &context)
    }

    /// Performs one output of the core, in the contract's order.
    mutating func perform(_ output: DynamoOutput, _ context: inout DynamoLabContext) {
        for note in output.notes { context.log(note) }
        if !output.records.isEmpty {
            image.apply(output.records)
            lastPersist = context.persist(image)
        }
        if let gate = lastPersist, durableThrough.map({ $0 < gate }) ?? true {
            waiting.append((gate, output.messages, output.replies))
        } else {
            send(output.messages, output.replies, &context)
        }
    }

    mutating func send(_ messages: [Envelope], _ replies: [ClientReply], _ context: inout DynamoLabContext) {
        for envelope in messages {
            traffic?.count(envelope.message)
            context.send(.peer(envelope.message), to: envelope.to.node)
        }
        for var reply in replies {
            guard let (client, number) = clients.removeValue(forKey: reply.id) else { continue }
            reply.id = number
            context.send(.reply(reply), to: client)
        }
    }
}
