import ConcordClocks

/// Coordinating reads: gathering R copies that cover the session, asking
/// fallbacks and then every member when needed, answering, and repairing the
/// stale replicas (Dynamo §4.5, read repair).
extension DynamoNode {
    /// The version of the key the request's session requires, or nil.
    func requiredVersion(_ coordination: Coordination) -> VersionVector? {
        guard !has(.sessionTokenIgnored), let session = coordination.session else { return nil }
        let version = session.version(of: coordination.request.key)
        return version.isEmpty ? nil : version
    }

    /// Whether `copy` shows everything the request's session saw of its key
    /// (always, without a session): a copy of a later stage does, one of
    /// the same stage when its version covers the session's.
    func coversSession(_ coordination: Coordination, _ copy: StoredObject?) -> Bool {
        guard !has(.sessionTokenIgnored), let session = coordination.session else { return true }
        let key = coordination.request.key
        guard let copy else { return session.version(of: key).isEmpty && session.stage(of: key) == 0 }
        return session.isCovered(key, stage: copy.stage, version: copy.version)
    }

    /// This member's visible copy of `key` (with its hints when asked), and
    /// the pending causal writes a reader holding `session` already depends on.
    func localCopy(of key: ByteString, session: VersionVector?, includeHints: Bool) -> (StoredObject?, StoredObject?) {
        var visible = objects[key]
        if includeHints, let hint = hintCopy(of: key) {
            visible = visible.map { mergeObjects($0, hint) } ?? hint
        }
        var shown: StoredObject?
        if let session, let writes = pending[key] {
            for write in writes where session.covers(write.version) {
                shown = shown.map { mergeObjects($0, write.object) } ?? write.object
            }
        }
        return (visible, shown)
    }

    /// Starts (or restarts) the read phase of a coordination.
    mutating func startRead(_ id: UInt64, _ output: inout DynamoOutput) {
        let operation = newOperation(id)
        coordinations[id]!.phase = .reading
        coordinations[id]!.responses = []
        coordinations[id]!.merged = nil
        coordinations[id]!.pendingShown = nil
        let coordination = coordinations[id]!
        let key = coordination.request.key
        let session = requiredVersion(coordination)
        let previousOnly = coordination.previousReplicas.filter { !coordination.replicas.contains($0) }
        if coordination.localStandIn == nil, previousOnly.isEmpty, !settings.readsAskEveryReplica {
            // Cassandra's way: R replicas are asked, this member first when
            // it is one (at R = 1 its own copy answers, with no message),
            // then the responsive ones in preference order. The others are
            // asked only when one of those stays silent past the escalation
            // time or their copies are behind the session (`widenRead`);
            // read repair covers the replicas asked, anti-entropy the rest.
            var asked: [MemberID] = coordination.replicas.contains(member) ? [member] : []
            let responsiveFirst = coordination.replicas.filter { isResponsive($0) } + coordination.replicas.filter { !isResponsive($0) }
            for replica in responsiveFirst where asked.count < coordination.consistency.reads && !asked.contains(replica) {
                asked.append(replica)
            }
            coordinations[id]!.contacted = asked
            for replica in asked where replica != member {
                output.send(.read(operation: operation, key: key, session: session, includeHints: false), to: replica)
            }
            if asked.contains(member) {
                let (visible, shown) = localCopy(of: key, session: session, includeHints: false)
                absorbRead(id, from: member, object: visible, pendingShown: shown, &output)
            }
            return
        }
        coordinations[id]!.contacted = coordination.replicas
        for replica in coordination.replicas where replica != member {
            output.send(.read(operation: operation, key: key, session: session, includeHints: false), to: replica)
        }
        // During a ring transition the key's previous replicas are asked
        // too, with their hints: a copy they hold for a new replica may
        // not have reached it yet.
        for previous in previousOnly where previous != member {
            coordinations[id]!.contacted.append(previous)
            output.send(.read(operation: operation, key: key, session: session, includeHints: true), to: previous)
        }
        if coordination.replicas.contains(member) {
            let (visible, shown) = localCopy(
                of: key, session: session, includeHints: coordination.localStandIn != nil || !previousOnly.isEmpty)
            absorbRead(id, from: member, object: visible, pendingShown: shown, &output)
        } else if coordination.localStandIn != nil || previousOnly.contains(member) {
            // A fallback coordinating a write reads its own hints too, as
            // does a previous replica.
            coordinations[id]!.contacted.append(member)
            if let standIn = coordination.localStandIn { coordinations[id]!.standsInFor[member] = standIn }
            let (visible, shown) = localCopy(of: key, session: session, includeHints: true)
            absorbRead(id, from: member, object: visible, pendingShown: shown, &output)
        } else {
            checkRead(id, &output)
        }
    }

    mutating func onRead(
        operation: UInt64, key: ByteString, session: VersionVector?, includeHints: Bool, from: MemberID,
        _ output: inout DynamoOutput
    ) {
        let (visible, shown) = localCopy(of: key, session: session, includeHints: includeHints)
        output.send(.readReply(operation: operation, object: visible, pendingShown: shown), to: from)
    }

    mutating func onReadReply(
        operation: UInt64, object: StoredObject?, pendingShown: StoredObject?, from: MemberID, _ output: inout DynamoOutput
    ) {
        guard let id = operations[operation] else { return }
        absorbRead(id, from: from, object: object, pendingShown: pendingShown, &output)
    }

    /// Takes one member's answer into a read.
    mutating func absorbRead(
        _ id: UInt64, from: MemberID, object: StoredObject?, pendingShown: StoredObject?, _ output: inout DynamoOutput
    ) {
        guard var coordination = coordinations[id],
            coordination.phase == .reading || coordination.phase == .repairing,
            coordination.contacted.contains(from), !coordination.answered.contains(from)
        else { return }
        coordination.answered.append(from)
        coordination.responses.append((from, object))
        if let object {
            coordination.merged = coordination.merged.map { mergeObjects($0, object) } ?? object
        }
        if let pendingShown {
            coordination.pendingShown = coordination.pendingShown.map { mergeObjects($0, pendingShown) } ?? pendingShown
        }
        coordinations[id] = coordination
        if coordination.phase == .reading {
            checkRead(id, &output)
            // Everyone asked answered and the read is still short (copies
            // behind the session): the replicas not asked yet are, at once.
            if let after = coordinations[id], after.phase == .reading, after.operation == coordination.operation,
                after.answered.count == after.contacted.count
            {
                widenRead(id, &output)
            }
        } else if coordination.answered.count == coordination.contacted.count {
            finishRead(id, &output)
        }
    }

    /// Asks the key's replicas that a read has not asked yet (it asks R of
    /// them first, unless `readsAskEveryReplica`).
    mutating func widenRead(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let coordination = coordinations[id] else { return }
        let unasked = coordination.replicas.filter { $0 != member && !coordination.contacted.contains($0) }
        guard !unasked.isEmpty else { return }
        let read = DynamoMessage.read(
            operation: coordination.operation, key: coordination.request.key, session: requiredVersion(coordination), includeHints: false)
        coordinations[id]!.contacted += unasked
        for replica in unasked { output.send(read, to: replica) }
    }

    /// What a read shows: the visible copies and the pending writes shown.
    func shownCopy(_ coordination: Coordination) -> StoredObject? {
        switch (coordination.merged, coordination.pendingShown) {
        case (nil, nil): nil
        case (let visible?, nil): visible
        case (nil, let shown?): shown
        case (let visible?, let shown?): mergeObjects(visible, shown)
        }
    }

    /// Completes the read phase once R counted answers arrived and, with a
    /// session, the copies cover the session's version of the key.
    mutating func checkRead(_ id: UInt64, _ output: inout DynamoOutput) {
        let coordination = coordinations[id]!
        guard coordination.countedAnswers >= coordination.consistency.reads, coordination.previousAnswersSuffice else { return }
        guard coversSession(coordination, shownCopy(coordination)) else { return }
        guard coordination.request.isWrite else {
            answerRead(id, &output)
            return
        }
        startWritePhase(id, base: coordination.merged, &output)
    }

    /// Answers a get, then keeps gathering copies briefly for read repair.
    mutating func answerRead(_ id: UInt64, _ output: inout DynamoOutput) {
        var coordination = coordinations[id]!
        let shown = shownCopy(coordination)
        let version = shown?.version ?? VersionVector()
        coordination.session?.observe(coordination.request.key, version: version, stage: shown?.stage ?? 0)
        coordination.session?.inherit(shown?.dependencies ?? [])
        let now = nowMilliseconds
        let value = shown?.readValue(at: now) ?? .absent
        let timeToLive = value == .absent ? nil : shown?.expiry.remaining(at: now)
        answer(
            coordination.origin, .read(value, context: version), session: coordination.session, timeToLive: timeToLive, &output)
        coordination.phase = .repairing
        coordination.repairUntil = ticks + UInt64(settings.readRepairWaitTicks)
        schedule(id, at: coordination.repairUntil)
        coordinations[id] = coordination
        if coordination.answered.count == coordination.contacted.count {
            finishRead(id, &output)
        }
    }

    /// Turns to more members: fallbacks for silent replicas (sloppy reads),
    /// and every member when the session is not covered yet. Asks the silent
    /// ones again, in case the question was lost.
    mutating func escalateRead(_ id: UInt64, _ output: inout DynamoOutput) {
        var coordination = coordinations[id]!
        let key = coordination.request.key
        let session = requiredVersion(coordination)
        for member in coordination.contacted where member != self.member && !coordination.answered.contains(member) {
            let hints = !coordination.replicas.contains(member)
            output.send(.read(operation: coordination.operation, key: key, session: session, includeHints: hints), to: member)
        }
        // The replicas not asked yet are asked now; fallbacks stand in only
        // for those asked before and still silent.
        let widened = coordination.replicas.filter { !coordination.contacted.contains($0) }
        if !widened.isEmpty {
            widenRead(id, &output)
            coordination = coordinations[id]!
        }
        if coordination.consistency.sloppy && coordination.countedAnswers < coordination.consistency.reads {
            let silent = coordination.replicas.filter { replica in
                !coordination.answered.contains(replica) && !coordination.standsInFor.values.contains(replica)
                    && !widened.contains(replica)
            }
            for replica in silent {
                guard let fallback = coordination.preference.first(where: { !coordination.contacted.contains($0) }) else { break }
                coordination.contacted.append(fallback)
                coordination.standsInFor[fallback] = replica
                if fallback == member {
                    coordinations[id] = coordination
                    let (visible, shown) = localCopy(of: key, session: session, includeHints: true)
                    absorbRead(id, from: member, object: visible, pendingShown: shown, &output)
                    guard let updated = coordinations[id], updated.phase == .reading else { return }
                    coordination = updated
                } else {
                    output.send(.read(operation: coordination.operation, key: key, session: session, includeHints: true), to: fallback)
                }
            }
        }
        if !coordination.askedEveryone, !coversSession(coordination, shownCopy(coordination)) {
            coordination.askedEveryone = true
            for other in ring.members where !coordination.contacted.contains(other) {
                coordination.contacted.append(other)
                if other == member {
                    coordinations[id] = coordination
                    let (visible, shown) = localCopy(of: key, session: session, includeHints: true)
                    absorbRead(id, from: member, object: visible, pendingShown: shown, &output)
                    guard let updated = coordinations[id], updated.phase == .reading else { return }
                    coordination = updated
                } else {
                    output.send(.read(operation: coordination.operation, key: key, session: session, includeHints: true), to: other)
                }
            }
            output.notes.append("\(key): the replicas are behind the session; asking every member")
        }
        coordinations[id] = coordination
        // The previous replicas hold a read up only until it escalates: a
        // member that left may be gone for good.
        if !coordination.previousReplicas.isEmpty && !coordination.transitionWaived {
            coordinations[id]!.transitionWaived = true
            if coordinations[id]!.phase == .reading { checkRead(id, &output) }
        }
    }

    /// Sends the merged copy to every replica that answered with less, and
    /// forgets the read.
    mutating func finishRead(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let coordination = coordinations[id] else { return }
        finish(id)
        guard let merged = coordination.merged else { return }
        let key = coordination.request.key
        let replicas = ringReplicas(of: key)
        var repair = merged
        if has(.readRepairWritesOlderVersion), let stale = olderVersionRewrite(coordination, merged: merged) {
            repair = stale
        }
        let digest = repair.digest
        for (responder, object) in coordination.responses where replicas.contains(responder) {
            guard object?.digest != digest else { continue }
            statistics.readRepairs += 1
            if responder == member {
                mergeCopy(repair, for: key, &output)
            } else {
                output.send(.repair(KeyedObject(key: key, object: repair)), to: responder)
            }
            output.notes.append("read repair of \(key) at \(responder)")
        }
    }

    /// The bug ``DynamoBug/readRepairWritesOlderVersion``: the oldest copy
    /// read, rewritten as a new version that supersedes the merged one.
    func olderVersionRewrite(_ coordination: Coordination, merged: StoredObject) -> StoredObject? {
        let copies = coordination.responses.compactMap(\.object).filter { $0.digest != merged.digest }
        guard let oldest = copies.min(by: { $0.version.entries.values.reduce(0, &+) < $1.version.entries.values.reduce(0, &+) }) else {
            return nil
        }
        switch (merged.value, oldest.value) {
        case (.siblings(var siblings), .siblings(let old)):
            guard let value = old.siblings.first?.value else { return nil }

            siblings.write(value, context: merged.version, at: actor)
            return .siblings(siblings)
        case (.lastWriterWins(var newest), .lastWriterWins(let old)):
            var clock = hybridClock
            newest.write(old.value, timestamp: clock.now(), actor: actor)
            return .lastWriterWins(newest)
        default:
            return nil
        }
    }
}
