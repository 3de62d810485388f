import ConcordClocks
import ConcordCRDT

/// Coordinating writes: an optional read phase, the write itself on the
/// coordinator's copy, W acknowledgements, and fallbacks holding hints for
/// silent replicas (Dynamo §4.6, sloppy quorum and hinted handoff).
extension DynamoNode {
    /// Begins a write at a replica of its key (or at a fallback standing in
    /// for one): with a read phase when the write's meaning depends on the
    /// key's current copies, directly otherwise.
    mutating func startWrite(_ id: UInt64, _ output: inout DynamoOutput) {
        let coordination = coordinations[id]!
        if needsReadPhase(coordination) {
            startRead(id, &output)
        } else {
            startWritePhase(id, base: nil, &output)
        }
    }

    /// A condition, an overwrite of the current copies, and a session
    /// update whose effect depends on what it observes must first gather
    /// the key's copies at R (and up to the session).
    func needsReadPhase(_ coordination: Coordination) -> Bool {
        let hasSession = coordination.session != nil && !has(.sessionTokenIgnored)
        switch coordination.request.operation {
        case .get, .listKeys: return false
        case .put(_, let context, _, let condition): return condition != .always || context == .current
        case .delete(let context): return context == .current || hasSession
        case .update(let update): return update.observes && hasSession
        case .expire: return true
        }
    }

    /// Applies the write to this member's copy, stores it (or holds it
    /// pending its dependencies), and sends it to the other replicas.
    ///
    /// While this member holds pending causal writes of the key, a new write
    /// waits (phase `queued`) until they are shown: its dot must follow
    /// theirs, and a copy holding them must not be shown to this writer (it
    /// would depend on writes whose dependencies are missing, and pending
    /// writes of different keys could end up waiting for each other).
    mutating func startWritePhase(_ id: UInt64, base: StoredObject?, _ output: inout DynamoOutput) {
        let coordination = coordinations[id]!
        let key = coordination.request.key
        let standIn = coordination.localStandIn
        if let base {
            if let standIn { mergeHint(base, for: key, target: standIn, &output) } else { mergeCopy(base, for: key, &output) }
        }
        if standIn == nil, pending[key] != nil {
            coordinations[id]!.phase = .queued
            coordinations[id]!.merged = nil
            schedule(id, at: ticks + 1)
            return
        }
        let visible = standIn == nil ? objects[key] : hintCopy(of: key)
        refreshEpochIfNeeded(&output)
        var dependencies: [Dependency] = []
        if coordination.consistency.causal, let session = coordination.session, !has(.sessionTokenIgnored) {
            dependencies = Self.deduplicated(session.dependencies.filter { $0.key != key && !$0.version.isEmpty })
        }
        let object: StoredObject
        let timestamp: HybridTimestamp?
        switch makeWrite(coordination, visible: visible, base: visible, dependencies: dependencies) {
        case .failed(let error):
            answer(coordination.origin, .failed(error), session: coordination.session, &output)
            finish(id)
            return
        case .conditionNotMet(let value):
            answer(coordination.origin, .conditionNotMet(value), session: coordination.session, &output)
            finish(id)
            return
        case .write(let written, let stamp):
            object = written
            timestamp = stamp
        }
        // The bug switch shows the write at once, dependencies or not.
        if dependencies.isEmpty || has(.causalDependencyNotWaited) {
            if let standIn {
                mergeHint(object, for: key, target: standIn, &output)
                statistics.hintsStored += 1
            } else {
                store(object, for: key, &output)
            }
        } else {
            setPending(key, [PendingWrite(object: object, dependencies: dependencies)], &output)
        }
        let operation = newOperation(id)
        var updated = coordinations[id]!
        updated.phase = .writing
        updated.written = object
        updated.writtenTimestamp = timestamp
        updated.dependencies = dependencies
        updated.escalateAt = ticks + UInt64(settings.escalationTicks)
        schedule(id, at: updated.escalateAt)
        updated.answered = [member]
        if let standIn {
            updated.contacted = [member]
            updated.standsInFor[member] = standIn
        } else {
            updated.contacted = [member]
        }
        for replica in updated.replicas where replica != member && replica != standIn {
            updated.contacted.append(replica)
            let write = ReplicaWrite(operation: operation, key: key, object: object, hintFor: nil, dependencies: dependencies)
            output.send(.replicate(write), to: replica)
        }
        coordinations[id] = updated
        checkWrite(id, &output)
    }

    mutating func onReplicateAck(operation: UInt64, from: MemberID, _ output: inout DynamoOutput) {
        guard let id = operations[operation], let index = coordinations.index(forKey: id),
            Self.takeAcknowledgement(&coordinations.values[index], operation: operation, from: from)
        else { return }
        checkWrite(id, &output)
    }

    /// Counts `from`'s acknowledgement of the write phase `operation`, if it
    /// is one the coordination waits for. The coordination is changed in
    /// place: a copy of it would make its arrays copy on write.
    private static func takeAcknowledgement(_ coordination: inout Coordination, operation: UInt64, from: MemberID) -> Bool {
        guard coordination.phase == .writing, coordination.operation == operation, coordination.contacted.contains(from),
            !coordination.answered.contains(from)
        else { return false }
        coordination.answered.append(from)
        return true
    }

    /// Answers once W counted acknowledgements arrived.
    ///
    /// A sloppy write then goes on, like Dynamo's (§4.6), until every one of
    /// its N replicas, or a fallback standing in for it, has the write (or
    /// the deadline passes): the fallbacks' hints are what bring a replica
    /// that was down up to date once it returns.
    mutating func checkWrite(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let index = coordinations.index(forKey: id) else { return }
        let (reply, finished) = Self.advanceWrite(&coordinations.values[index], now: nowMilliseconds)
        if let reply { answer(reply.origin, reply.outcome, session: reply.session, &output) }
        if finished { finish(id) }
    }

    /// ``checkWrite(_:_:)`` on the coordination in place: the reply due
    /// (once, at W acknowledgements), and whether the coordination ends.
    private static func advanceWrite(_ coordination: inout Coordination, now: Int64) -> (
        reply: (origin: Coordination.Origin, outcome: ClientOutcome, session: SessionToken?)?, finished: Bool
    ) {
        guard let object = coordination.written else { return (nil, false) }
        var reply: (origin: Coordination.Origin, outcome: ClientOutcome, session: SessionToken?)?
        if !coordination.replied {
            guard coordination.countedAnswers >= coordination.consistency.writes else { return (nil, false) }
            let version = object.version
            coordination.session?.observe(coordination.request.key, version: version, stage: object.stage)
            coordination.session?.inherit(object.dependencies)
            if let timestamp = coordination.writtenTimestamp { coordination.session?.observe(timestamp: timestamp) }
            reply = (coordination.origin, .written(object.readValue(at: now), version: version), coordination.session)
            coordination.replied = true
        }
        let answered = coordination.answered
        let covered = coordination.replicas.allSatisfy { replica in
            answered.contains(replica) || coordination.standsInFor.contains { answered.contains($0.key) && $0.value == replica }
        }
        return (reply, covered || !coordination.consistency.sloppy || !coordination.dependencies.isEmpty)
    }

    /// Sends the write again to silent replicas, and, for a sloppy write,
    /// to the next fallbacks in the preference list, each holding a hint for
    /// one silent replica.
    mutating func escalateWrite(_ id: UInt64, _ output: inout DynamoOutput) {
        var coordination = coordinations[id]!
        guard let object = coordination.written else { return }
        let key = coordination.request.key
        for member in coordination.contacted where member != self.member && !coordination.answered.contains(member) {
            let write = ReplicaWrite(
                operation: coordination.operation, key: key, object: object, hintFor: coordination.standsInFor[member],
                dependencies: coordination.dependencies)
            output.send(.replicate(write), to: member)
        }
        guard coordination.consistency.sloppy, coordination.dependencies.isEmpty else {
            coordinations[id] = coordination
            return
        }
        let silent = coordination.replicas.filter { replica in
            coordination.contacted.contains(replica) && !coordination.answered.contains(replica)
                && !coordination.standsInFor.values.contains(replica)
        }
        for replica in silent {
            guard let fallback = coordination.preference.first(where: { !coordination.contacted.contains($0) && $0 != member })
            else { break }
            coordination.contacted.append(fallback)
            coordination.standsInFor[fallback] = replica
            let write = ReplicaWrite(
                operation: coordination.operation, key: key, object: object, hintFor: replica, dependencies: [])
            output.send(.replicate(write), to: fallback)
            output.notes.append("\(key): \(replica) is silent; \(fallback) holds a hint for it")
        }
        coordinations[id] = coordination
    }

    static func deduplicated(_ dependencies: [Dependency]) -> [Dependency] {
        var byKey: [ByteString: VersionVector] = [:]
        for dependency in dependencies {
            byKey[dependency.key, default: VersionVector()].merge(dependency.version)
        }
        return byKey.keys.sorted().map { Dependency(key: $0, version: byKey[$0]!) }
    }

    /// Replaces the pending writes of `key`, recording them.
    mutating func setPending(_ key: ByteString, _ writes: [PendingWrite], _ output: inout DynamoOutput) {
        pending[key] = writes.isEmpty ? nil : writes
        output.records.append(.pendingWrites(key: key, writes))
    }

    // MARK: The write itself

    enum WriteResult {
        case write(StoredObject, HybridTimestamp?)
        case conditionNotMet(ReadValue)
        case failed(DynamoRequestError)
    }

    /// The coordinator's copy after the write: `base` (visible copy and any
    /// pending writes) changed by the request, with dots of this member's
    /// current actor, and its expiry changed as the request says. `visible`
    /// decides conditions.
    ///
    /// A key that has expired at this member's time is absent: a write
    /// starts it afresh (its old values superseded, for a CRDT removed as a
    /// deletion removes them) and without a deadline unless the request
    /// sets one; `expire` finds nothing to change.
    mutating func makeWrite(
        _ coordination: Coordination, visible: StoredObject?, base: StoredObject?, dependencies: [Dependency]
    ) -> WriteResult {
        let now = nowMilliseconds
        let expired = base?.hasExpired(at: now) ?? false
        // What a read would show, for conditions; only puts and expires
        // need it (building it sorts a set's elements).
        let shownBefore: ReadValue
        switch coordination.request.operation {
        case .put, .expire: shownBefore = visible?.readValue(at: now) ?? .absent
        default: shownBefore = .absent
        }
        var base = base
        if expired, let old = base, !Self.isValueMode(old.kind) {
            base = StoredObject(removeObserved(old).value, expiry: old.expiry, generation: old.generation)
        }
        let result = makeValueWrite(
            coordination, visible: visible, shownBefore: shownBefore, base: base, supersedesBase: expired,
            dependencies: dependencies)
        guard case .write(var object, let timestamp) = result else { return result }
        // Every write keeps its base's generation; a replacing put starts
        // the next one (``replacingWrite``).
        object.generation = max(object.generation, base?.generation ?? 0)
        var change = coordination.request.expiry
        if case .expire(let requested, _) = coordination.request.operation { change = requested }
        if expired, change == .keep { change = .clear }
        // A counter cannot show a deletion in its value: its deadline does
        // (the earliest instant, passed at every time), and the next write
        // starts it afresh, as after any expiry.
        if case .delete = coordination.request.operation, object.kind == .counter { change = .at(Expiry.deletedDeadline) }
        switch change {
        case .keep:
            break
        case .clear:
            if object.expiry.deadline != nil { object.expiry.write(nil, timestamp: expiryStamp(after: object.expiry), actor: actor) }
        case .at, .after:
            object.expiry.write(change.deadline(at: now), timestamp: expiryStamp(after: object.expiry), actor: actor)
        }
        return .write(object, timestamp)
    }

    /// A stamp for a change of `expiry` later than the change it replaces:
    /// a change made after seeing another wins over it whatever the
    /// members' clocks say (as a session's writes follow its token);
    /// concurrent changes are ordered by their stamps.
    mutating func expiryStamp(after expiry: Expiry) -> HybridTimestamp {
        let stamp = hybridClock.now()
        guard let observed = expiry.register.winner?.stamp.timestamp, stamp <= observed else { return stamp }
        if observed.logical == .max { return HybridTimestamp(wallNanoseconds: observed.wallNanoseconds + 1) }
        return HybridTimestamp(wallNanoseconds: observed.wallNanoseconds, logical: observed.logical + 1)
    }

    static func isValueMode(_ kind: ObjectKind) -> Bool {
        kind == .siblings || kind == .lastWriterWins
    }

    /// The write of the request's value or update on `base`, keeping
    /// `base`'s expiry. With `supersedesBase` a sibling write supersedes
    /// every version of `base` (the key had expired).
    mutating func makeValueWrite(
        _ coordination: Coordination, visible: StoredObject?, shownBefore: ReadValue, base: StoredObject?,
        supersedesBase: Bool, dependencies: [Dependency]
    ) -> WriteResult {
        let request = coordination.request
        let session = has(.sessionTokenIgnored) ? nil : coordination.session
        var sessionContext = session?.writeContext(for: request.key) ?? VersionVector()
        if supersedesBase, let base { sessionContext.merge(base.version) }
        let result: WriteResult
        switch request.operation {
        case .get, .listKeys:
            preconditionFailure("not a write")
        case .put(let value, let context, let mode, let condition):
            let present = shownBefore != .absent
            if condition == .ifAbsent && present || condition == .ifPresent && !present {
                return .conditionNotMet(shownBefore)
            }
            if let base, base.kind > (mode == .siblings ? .siblings : .lastWriterWins) {
                result = replacingWrite(
                    value, context: context, mode: mode, base: base, sessionContext: sessionContext, session: session,
                    dependencies: dependencies)
            } else {
                result = writeValue(
                    value, context: context, mode: mode, visible: visible, base: base, sessionContext: sessionContext,
                    session: session, dependencies: dependencies)
            }
        case .delete(let context):
            switch base?.value {
            case nil, .siblings?:
                result = writeValue(
                    nil, context: context, mode: .siblings, visible: visible, base: base, sessionContext: sessionContext, session: session,
                    dependencies: dependencies)
            case .lastWriterWins?:
                result = writeValue(
                    nil, context: context, mode: .lastWriterWins, visible: visible, base: base, sessionContext: sessionContext,
                    session: session, dependencies: [])
            case .some:
                result = .write(removeObserved(base!), nil)
            }
        case .update(let update):
            // An expired string does not become the start of a counter.
            let expiredValue = supersedesBase && base.map { Self.isValueMode($0.kind) } == true
            result = apply(update, to: expiredValue ? nil : base, baseExpired: supersedesBase)
        case .expire(let change, let condition):
            guard let base, shownBefore != .absent else { return .conditionNotMet(.absent) }
            let current = base.expiry.deadline
            let deadline = change.deadline(at: nowMilliseconds)
            switch change {
            case .keep: return .conditionNotMet(shownBefore)
            case .clear: guard current != nil else { return .conditionNotMet(shownBefore) }
            case .at, .after: break
            }
            guard condition.allows(from: current, to: deadline) else { return .conditionNotMet(shownBefore) }
            return .write(base, nil)
        }
        guard case .write(var object, let timestamp) = result else { return result }
        object.expiry = base?.expiry ?? Expiry()
        return .write(object, timestamp)
    }

    /// An update of a deleted key of a later kind (an increment after a set
    /// or hash was deleted, members added after a hash was): the update
    /// applied to the empty CRDT of its kind, in the base's next
    /// generation, so that it replaces the deleted kind when copies merge,
    /// as a replacing put does. Updates of the old generation that this
    /// one did not see (a concurrent re-creation of the old kind) are
    /// replaced with it; concurrent updates that start the same next
    /// generation merge as their kinds say (counters add up; of two kinds,
    /// the later in ``ObjectKind``'s order wins).
    func replacingUpdate(_ update: CRDTUpdate, base: StoredObject) -> WriteResult {
        guard base.generation < UInt32.max else { return .failed(.wrongType(base.kind)) }
        let result = apply(update, to: nil)
        guard case .write(var object, let timestamp) = result else { return result }
        object.generation = base.generation + 1
        return .write(object, timestamp)
    }

    /// A put over a key of a later kind (a counter, set, hash..., live or
    /// deleted) replaces it, as Redis's `SET` does: the value is written
    /// afresh in the next generation, so that it replaces the base's kind
    /// when copies merge (see ``StoredObject/generation``), with a version
    /// covering everything the base held. Updates of the old generation
    /// that this write did not see are replaced with it.
    mutating func replacingWrite(
        _ value: ByteString, context: WriteContext, mode: VersioningMode, base: StoredObject,
        sessionContext: VersionVector, session: SessionToken?, dependencies: [Dependency]
    ) -> WriteResult {
        guard base.generation < UInt32.max else { return .failed(.wrongType(base.kind)) }
        var superseding = sessionContext
        superseding.merge(base.version)
        let result = writeValue(
            value, context: context, mode: mode, visible: nil, base: nil, sessionContext: superseding, session: session,
            dependencies: dependencies)
        guard case .write(var object, let timestamp) = result else { return result }
        object.generation = base.generation + 1
        return .write(object, timestamp)
    }

    /// A sibling or last-writer-wins write of `value` (nil: a deletion).
    mutating func writeValue(
        _ value: ByteString?, context: WriteContext, mode: VersioningMode, visible: StoredObject?, base: StoredObject?,
        sessionContext: VersionVector, session: SessionToken?, dependencies: [Dependency]
    ) -> WriteResult {
        let kind: ObjectKind = mode == .siblings ? .siblings : .lastWriterWins
        if let base, base.kind > kind { return .failed(.wrongType(base.kind)) }
        let base = base?.value
        switch mode {
        case .siblings:
            var writeContext = sessionContext
            switch context {
            case .none: break
            case .provided(let provided): writeContext.merge(provided)
            case .current: writeContext.merge(visible?.version ?? VersionVector())
            }
            var siblings = Siblings()
            if case .siblings(let existing)? = base { siblings = existing }
            siblings.write(SiblingValue(value, dependencies: dependencies), context: writeContext, at: actor)
            return .write(.siblings(siblings), nil)
        case .lastWriterWins:
            if let session {
                do {
                    _ = try hybridClock.receive(session.latestTimestamp)
                } catch {
                    return .failed(.clockBehind)
                }
            }
            let timestamp = hybridClock.now()
            var register = LastWriterWinsValue()
            if case .lastWriterWins(let existing)? = base { register = existing }
            register.write(value, timestamp: timestamp, actor: actor)
            return .write(.lastWriterWins(register), timestamp)
        }
    }

    /// A CRDT deletion: removes what this copy has observed.
    func removeObserved(_ object: StoredObject) -> StoredObject {
        switch object.value {
        case .counter(var counter):
            let value = counter.value
            if value > 0 {
                counter.decrement(by: UInt64(value), at: actor)
            } else if value < 0 {
                counter.increment(by: value.magnitude, at: actor)
            }
            return .counter(counter)
        case .set(var set):
            for element in set.elements.sorted() { set.remove(element) }
            return .set(set)
        case .map(var map):
            for field in map.keys.sorted() { map.remove(field) }
            return .map(map)
        case .register(var register):
            register.reset()
            return .register(register)
        case .flag(var flag):
            flag.disable()
            return .flag(flag)
        case .siblings, .lastWriterWins:
            preconditionFailure("sibling and last-writer-wins deletions are writes")
        }
    }

    /// A CRDT update applied to `base` (or to the empty CRDT of its kind).
    ///
    /// Kinds are guarded as Redis guards them: an update of a key that holds
    /// a value of another kind fails with `wrongType` and changes nothing,
    /// except an increment of a string holding an integer, which becomes a
    /// counter starting from it (``counter(startingFrom:)``). A deleted key
    /// (a tombstone, or `baseExpired`: expired, or a deleted counter) is
    /// absent and takes an update of any kind, as Redis's does: one of an
    /// earlier kind starts the key's next generation
    /// (``replacingUpdate(_:base:)``).
    func apply(_ update: CRDTUpdate, to base: StoredObject?, baseExpired: Bool = false) -> WriteResult {
        if let base, base.kind > update.kind {
            guard baseExpired || base.isTombstone else { return .failed(.wrongType(base.kind)) }
            return replacingUpdate(update, base: base)
        }
        if let base, base.kind < update.kind, baseExpired { return apply(update, to: nil) }
        var current = base?.kind == update.kind ? base?.value : nil
        if let base, base.kind < update.kind, !base.isTombstone {
            guard case .increment = update, Self.isValueMode(base.kind) else { return .failed(.wrongType(base.kind)) }
            switch Self.counter(startingFrom: base) {
            case .success(let counter): current = .counter(counter)
            case .failure(let error): return .failed(error)
            }
        }
        switch update {
        case .increment(let amount):
            var counter = PNCounter()
            if case .counter(let existing)? = current { counter = existing }
            // Per coordinator: concurrent increments elsewhere are not seen.
            guard !counter.value.addingReportingOverflow(amount).overflow else { return .failed(.overflow) }
            if amount >= 0 {
                counter.increment(by: UInt64(amount), at: actor)
            } else {
                counter.decrement(by: amount.magnitude, at: actor)
            }
            return .write(.counter(counter), nil)
        case .addToSet(let elements), .removeFromSet(let elements):
            var set = ORSet<ByteString>()
            if case .set(let existing)? = current { set = existing }
            for element in elements {
                if case .addToSet = update { set.insert(element, at: actor) } else { set.remove(element) }
            }
            return .write(.set(set), nil)
        case .setFields(let fields):
            var map = CRDTMap()
            if case .map(let existing)? = current { map = existing }
            let replica = actor
            for field in fields {
                map.update(field.field) { $0.assign(field.values[0], at: replica) }
            }
            return .write(.map(map), nil)
        case .removeFields(let fields):
            var map = CRDTMap()
            if case .map(let existing)? = current { map = existing }
            for field in fields { map.remove(field) }
            return .write(.map(map), nil)
        case .assign(let value):
            var register = MVRegister<ByteString>()
            if case .register(let existing)? = current { register = existing }
            register.assign(value, at: actor)
            return .write(.register(register), nil)
        case .enable, .disable:
            var flag = EnableWinsFlag()
            if case .flag(let existing)? = current { flag = existing }
            if case .enable = update { flag.enable(at: actor) } else { flag.disable() }
            return .write(.flag(flag), nil)
        }
    }
}
