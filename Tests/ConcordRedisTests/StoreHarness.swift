import ConcordDynamo
import ConcordRedis

/// Drives Redis connections against a real in-process cluster of
/// ``DynamoNode``s: messages go through one FIFO queue, records count as
/// durable at once, each connection talks to one member, and the store's
/// answers are fed back to the connections in arrival order (or held, for
/// tests that reorder them).
struct StoreHarness {
    var nodes: [MemberID: DynamoNode] = [:]
    var queue: [(from: MemberID, envelope: Envelope)] = []
    var down: Set<MemberID> = []
    var now: Int64 = 1_000_000_000
    var connections: [RedisConnection] = []
    var memberOf: [MemberID] = []
    var written: [[UInt8]] = []
    var closed: [Bool] = []
    /// Every request the connections sent, in order.
    var sent: [(connection: Int, request: ClientRequest)] = []
    /// Answers not yet given to their connection.
    var answers: [(connection: Int, reply: ClientReply)] = []
    /// When false, answers wait in `answers` until the test feeds them.
    var feedsAnswers = true
    /// The passwords AUTH is checked against, by user.
    var passwords: [String: String] = [:]
    /// When false, password checks wait in `authentications` until the
    /// test answers them (``answerAuthentications()``).
    var answersAuthentications = true
    /// Password checks asked and not yet answered.
    var authentications: [(connection: Int, request: AuthenticationRequest)] = []
    private var routes: [UInt64: (connection: Int, id: UInt64)] = [:]
    private var nextID: UInt64 = 1
    private var readOffsets: [Int] = []

    init(members: [MemberID] = [1, 2, 3], settings: RedisSettings = RedisSettings()) {
        var dynamo = DynamoSettings()
        dynamo.virtualNodesPerMember = 4
        let ring = try! Ring(members: members, virtualNodesPerMember: 4)
        for member in members {
            var node = DynamoNode(member: member, ring: ring, settings: dynamo, stored: nil, seed: member.rawValue)
            let output = node.start(now: now)
            nodes[member] = node
            perform(output, from: member)
        }
        for member in members { connect(to: member, settings: settings) }
        settle()
    }

    /// Opens a connection to `member`; returns its index.
    @discardableResult
    mutating func connect(to member: MemberID, settings: RedisSettings = RedisSettings()) -> Int {
        connections.append(RedisConnection(id: Int64(connections.count + 1), settings: settings))
        memberOf.append(member)
        written.append([])
        closed.append(false)
        readOffsets.append(0)
        return connections.count - 1
    }

    private mutating func perform(_ output: DynamoOutput, from member: MemberID) {
        for envelope in output.messages { queue.append((member, envelope)) }
        for reply in output.replies {
            guard let route = routes.removeValue(forKey: reply.id) else { continue }
            var local = reply
            local.id = route.id
            answers.append((route.connection, local))
        }
    }

    mutating func apply(_ output: ConnectionOutput, connection: Int) {
        written[connection] += output.bytes
        if output.closes { closed[connection] = true }
        if let request = output.authentication { authentications.append((connection, request)) }
        for request in output.requests {
            sent.append((connection, request))
            let member = memberOf[connection]
            var routed = request
            routed.id = nextID
            routes[nextID] = (connection, request.id)
            nextID += 1
            var node = nodes[member]!
            let result = node.onClientRequest(routed, now: now)
            nodes[member] = node
            perform(result, from: member)
        }
    }

    /// Answers every password check asked, from `passwords`.
    mutating func answerAuthentications() {
        while !authentications.isEmpty {
            let (connection, request) = authentications.removeFirst()
            let output = connections[connection].onAuthentication(accepted: passwords[request.user] == request.password)
            apply(output, connection: connection)
        }
    }

    /// Delivers messages and feeds answers until nothing moves.
    mutating func settle() {
        var steps = 0
        while steps < 100_000 {
            steps += 1
            if answersAuthentications, !authentications.isEmpty {
                answerAuthentications()
            } else if !queue.isEmpty {
                let (from, envelope) = queue.removeFirst()
                guard !down.contains(from), !down.contains(envelope.to), var node = nodes[envelope.to] else { continue }
                let output = node.onMessage(envelope.message, from: from, now: now)
                nodes[envelope.to] = node
                perform(output, from: envelope.to)
            } else if feedsAnswers, !answers.isEmpty {
                feed(answers.removeFirst())
            } else {
                return
            }
        }
    }

    mutating func feed(_ answer: (connection: Int, reply: ClientReply)) {
        let output = connections[answer.connection].onReply(answer.reply)
        apply(output, connection: answer.connection)
    }

    /// Ticks every member that is up `count` times (10 ms each), settling after each.
    mutating func tick(_ count: Int) {
        for _ in 0..<count {
            now += 10_000_000
            for member in nodes.keys.sorted() where !down.contains(member) {
                var node = nodes[member]!
                let output = node.onTick(now: now)
                nodes[member] = node
                perform(output, from: member)
            }
            settle()
        }
    }

    /// Sends raw bytes on a connection.
    mutating func send(_ bytes: [UInt8], on connection: Int = 0) {
        let output = connections[connection].onBytes(bytes)
        apply(output, connection: connection)
        settle()
    }

    /// Sends commands (each an argument list, as multibulk) on a connection
    /// and returns the replies written since the last call.
    mutating func run(_ commands: [String]..., on connection: Int = 0) -> [RESPValue] {
        send(commands.flatMap(Self.multibulk), on: connection)
        return replies(on: connection)
    }

    /// One command's reply.
    mutating func one(_ words: String..., on connection: Int = 0) -> RESPValue? {
        send(Self.multibulk(words), on: connection)
        let values = replies(on: connection)
        return values.count == 1 ? values[0] : nil
    }

    /// The replies written on a connection since the last call.
    mutating func replies(on connection: Int = 0) -> [RESPValue] {
        let bytes = Array(written[connection][readOffsets[connection]...])
        readOffsets[connection] = written[connection].count
        return (try? RESPReplyParser.parseAll(bytes)) ?? [.error("unparsable reply bytes")]
    }

    static func multibulk(_ words: [String]) -> [UInt8] {
        var bytes = Array("*\(words.count)\r\n".utf8)
        for word in words {
            bytes += Array("$\(word.utf8.count)\r\n".utf8) + Array(word.utf8) + [13, 10]
        }
        return bytes
    }
}
