/// Receiving client requests, forwarding writes to a replica, and answering.
extension DynamoNode {
    /// The longest key accepted, in bytes.
    public static let keyBytesMax = 1 << 16
    /// The longest value (or element, or field) accepted, in bytes.
    public static let valueBytesMax = 1 << 24
    /// The most elements or fields one update may name.
    public static let updateItemsMax = 4_096

    /// Validates a client request and begins coordinating it.
    mutating func receive(_ request: ClientRequest, _ output: inout DynamoOutput) {
        if let problem = Self.problem(with: request) {
            output.replies.append(ClientReply(id: request.id, outcome: .failed(problem), session: request.session))
            return
        }
        guard coordinations.count < settings.coordinationsMax, listings.count < settings.coordinationsMax else {
            output.replies.append(ClientReply(id: request.id, outcome: .failed(.overloaded), session: request.session))
            return
        }
        if case .listKeys(let after, let limit) = request.operation {
            startListing(request, after: after, limit: limit, &output)
            return
        }
        begin(request, origin: .client(request.id), &output)
    }

    /// What is wrong with a request, or nil.
    static func problem(with request: ClientRequest) -> DynamoRequestError? {
        if request.key.count > keyBytesMax { return .invalidRequest("key of \(request.key.count) bytes; at most \(keyBytesMax)") }
        if request.consistency.causal && request.session == nil {
            return .invalidRequest("causal mode needs a session token")
        }
        switch request.operation {
        case .get, .delete, .expire:
            return nil
        case .listKeys(_, let limit):
            return (1...listKeysLimitMax).contains(limit) ? nil : .invalidRequest("a key listing of \(limit) keys; 1 to \(listKeysLimitMax)")
        case .put(let value, _, _, _):
            return value.count > valueBytesMax ? .invalidRequest("value of \(value.count) bytes; at most \(valueBytesMax)") : nil
        case .update(let update):
            return problem(with: update)
        }
    }

    static func problem(with update: CRDTUpdate) -> DynamoRequestError? {
        var items: [ByteString] = []
        switch update {
        case .increment, .enable, .disable:
            return nil
        case .assign(let value):
            items = [value]
        case .addToSet(let elements), .removeFromSet(let elements), .removeFields(let elements):
            guard !elements.isEmpty else { return .invalidRequest("\(update) names nothing") }
            items = elements
        case .setFields(let fields):
            guard !fields.isEmpty else { return .invalidRequest("an update of a map names no field") }
            guard fields.allSatisfy({ $0.values.count == 1 }) else {
                return .invalidRequest("each field set must carry exactly one value")
            }
            items = fields.map(\.field) + fields.flatMap(\.values)
        }
        if items.count > updateItemsMax { return .invalidRequest("\(items.count) items; at most \(updateItemsMax)") }
        if let long = items.first(where: { $0.count > valueBytesMax }) {
            return .invalidRequest("an item of \(long.count) bytes; at most \(valueBytesMax)")
        }
        return nil
    }

    /// Starts coordinating a request received from a client or forwarded
    /// by another member.
    mutating func begin(_ request: ClientRequest, origin: Coordination.Origin, _ output: inout DynamoOutput) {
        let resolved: ResolvedConsistency
        do {
            resolved = try request.consistency.resolved(
                replicationFactor: min(settings.replicationFactor, max(ring.members.count, 1)),
                ringSize: ring.members.count)
        } catch {
            answer(origin, .failed(error), session: request.session, &output)
            return
        }
        let id = makeIdentifier()
        let coordination = Coordination(
            id: id, request: request, origin: origin, consistency: resolved,
            preference: ring.preferenceList(for: request.key), now: ticks,
            escalationTicks: settings.escalationTicks, timeoutTicks: settings.requestTimeoutTicks)
        coordinations[id] = coordination
        coordinations[id]!.previousReplicas = previousReplicas(of: request.key)
        schedule(id, at: coordination.escalateAt)
        schedule(id, at: coordination.deadline)
        statistics.coordinated += 1
        guard request.isWrite else {
            startRead(id, &output)
            return
        }
        if coordination.replicas.contains(member) {
            startWrite(id, &output)
        } else if case .forwarded = origin {
            // A forwarded write is coordinated where it lands, even if the
            // rings disagree: standing in for the first replica.
            coordinations[id]!.localStandIn = coordination.replicas.first
            startWrite(id, &output)
        } else if let target = coordination.replicas.first(where: isResponsive) {
            forward(id, to: target, &output)
        } else if coordination.consistency.sloppy, let first = coordination.replicas.first {
            // No replica has been heard from lately: stand in for the first.
            coordinations[id]!.localStandIn = first
            output.notes.append("\(request.key): every replica is suspected; coordinating as a fallback")
            startWrite(id, &output)
        } else if let first = coordination.replicas.first {
            forward(id, to: first, &output)
        }
    }

    /// Whether `other` is not suspected: it answered every request this
    /// member sent it since the last one it left unanswered past the
    /// escalation time (or it has been heard from since).
    func isResponsive(_ other: MemberID) -> Bool {
        other == member || !suspected.contains(other)
    }

    /// Passes a write to a replica of its key, once: a write sent twice
    /// could take effect twice (two increments of a counter), so a forward
    /// that gets no answer fails the request as unavailable (it may still
    /// take effect) rather than being tried elsewhere.
    mutating func forward(_ id: UInt64, to target: MemberID, _ output: inout DynamoOutput) {
        coordinations[id]!.phase = .forwarding
        coordinations[id]!.forwardedTo.append(target)
        statistics.forwarded += 1
        output.send(.forward(coordination: id, request: coordinations[id]!.request), to: target)
    }

    mutating func onForwardReply(
        coordination id: UInt64, outcome: ClientOutcome, session: SessionToken?, _ output: inout DynamoOutput
    ) {
        guard let coordination = coordinations[id], coordination.phase == .forwarding else { return }
        finish(id)
        answer(coordination.origin, outcome, session: session, &output)
    }

    /// Sends an outcome where the request came from.
    func answer(
        _ origin: Coordination.Origin, _ outcome: ClientOutcome, session: SessionToken?, timeToLive: Int64? = nil,
        _ output: inout DynamoOutput
    ) {
        switch origin {
        case .client(let requestID):
            output.replies.append(ClientReply(id: requestID, outcome: outcome, session: session, timeToLive: timeToLive))
        case .forwarded(let from, let coordination):
            output.send(.forwardReply(coordination: coordination, outcome: outcome, session: session), to: from)
        }
    }

    /// Forgets a coordination and its operation ids.
    mutating func finish(_ id: UInt64) {
        guard let coordination = coordinations.removeValue(forKey: id) else { return }
        operations[coordination.operation] = nil
    }

    /// Moves a coordination to a new phase with a fresh operation id.
    mutating func newOperation(_ id: UInt64) -> UInt64 {
        let operation = makeIdentifier()
        operations[coordinations[id]!.operation] = nil
        coordinations[id]!.operation = operation
        coordinations[id]!.contacted = []
        coordinations[id]!.answered = []
        coordinations[id]!.standsInFor = [:]
        operations[operation] = id
        return operation
    }

    /// Advances a coordination's timers.
    /// Lists coordination `id` as due at `tick` (at the next tick at the
    /// earliest: the current one may be under way).
    mutating func schedule(_ id: UInt64, at tick: UInt64) {
        dueCoordinations[max(tick, ticks + 1), default: []].append(id)
    }

    mutating func tickCoordination(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let coordination = coordinations[id] else { return }
        switch coordination.phase {
        case .repairing:
            if ticks >= coordination.repairUntil { finishRead(id, &output) }
            return
        case .queued:
            if ticks >= coordination.deadline {
                fail(id, &output)
            } else if pending[coordination.request.key] == nil {
                startWritePhase(id, base: nil, &output)
            }
            // A queued write looks at its key's pending writes every tick.
            if coordinations[id]?.phase == .queued { schedule(id, at: ticks + 1) }
            return
        case .forwarding, .reading, .writing:
            break
        }
        if ticks >= coordination.deadline {
            if coordination.replied { finish(id) } else { fail(id, &output) }
            return
        }
        guard ticks >= coordination.escalateAt else { return }
        coordinations[id]!.escalateAt = ticks + UInt64(settings.escalationTicks)
        schedule(id, at: coordinations[id]!.escalateAt)
        for silent in coordination.contacted + coordination.forwardedTo where !coordination.answered.contains(silent) {
            if silent != member { suspected.insert(silent) }
        }
        switch coordination.phase {
        case .forwarding:
            break
        case .reading:
            escalateRead(id, &output)
        case .writing:
            escalateWrite(id, &output)
        case .repairing, .queued:
            break
        }
    }

    /// The request failed for lack of answers.
    mutating func fail(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let coordination = coordinations[id] else { return }
        let required: Int
        switch coordination.phase {
        case .writing, .forwarding, .queued: required = coordination.consistency.writes
        case .reading, .repairing: required = coordination.consistency.reads
        }
        let answered = coordination.phase == .forwarding || coordination.phase == .queued ? 0 : coordination.countedAnswers
        answer(coordination.origin, .failed(.unavailable(answered: answered, required: required)),
               session: coordination.session, &output)
        if coordination.phase == .reading, !coordination.request.isWrite {
            coordinations[id]!.phase = .repairing
            finishRead(id, &output)
        } else {
            finish(id)
        }
    }
}
