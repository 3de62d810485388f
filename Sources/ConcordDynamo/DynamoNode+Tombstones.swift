/// Collecting tombstones safely.
///
/// A tombstone (see ``StoredObject/isTombstone``) may be collected only once
/// no copy it supersedes can come back: every member of the ring (replicas,
/// and fallbacks holding hints) must hold exactly that tombstone or nothing
/// for its key, and no copy sent before a member learned of it may still be
/// in flight. The first replica of the key (its *reaper*) asks every member
/// twice, `reapGraceTicks` apart (longer than a message can stay in flight),
/// and collects only what every member agreed to both times; then it tells
/// every member to collect. A member that is down, partitioned or behind
/// blocks the collection until it has caught up: tombstones are kept rather
/// than risk a deleted key coming back. Collecting a key's copy moves the
/// member to a new actor epoch, so later writes cannot reuse the
/// collected dots (see ``Actor``).
struct ReaperState: Sendable {
    /// A collection round in progress.
    struct Round: Sendable {
        var id: UInt64
        /// 1: first confirmation; 2: second, after the grace period.
        var phase: UInt8
        var candidates: [KeyedObject]
        /// For each candidate key, the members that agreed in this phase.
        var agreed: [ByteString: Set<MemberID>] = [:]
        /// Members that answered this phase.
        var voted: Set<MemberID> = []
        /// Phase 2 starts at this tick (after phase 1 completes).
        var secondPhaseAt: UInt64?
        /// The round is abandoned at this tick.
        var abandonAt: UInt64
        /// When the members were last asked in this phase.
        var askedAt: UInt64
    }

    var round: Round?
}

extension DynamoNode {
    mutating func tickReaper(_ output: inout DynamoOutput) {
        guard settings.collectsTombstones else { return }
        if var round = reaper.round {
            if ticks >= round.abandonAt {
                reaper.round = nil
            } else if round.secondPhaseAt == nil, ticks >= round.askedAt + UInt64(settings.escalationTicks) {
                // Ask again the members that have not voted: the question
                // or the answer may have been lost, or the member was down.
                round.askedAt = ticks
                reaper.round = round
                for other in ring.members where other != member && !round.voted.contains(other) {
                    output.send(.reapQuery(round: round.id, phase: round.phase, candidates: round.candidates), to: other)
                }
            } else if round.phase == 1, let start = round.secondPhaseAt, ticks >= start {
                round.phase = 2
                round.agreed = [:]
                round.voted = []
                round.secondPhaseAt = nil
                round.askedAt = ticks
                reaper.round = round
                askEveryone(round, &output)
                completeReapPhaseIfAlone(&output)
            }
            return
        }
        let candidates = tombstoneCandidates()
        guard !candidates.isEmpty else { return }
        if has(.tombstoneCollectedEarly) {
            for other in ring.members where other != member {
                output.send(.reap(candidates: candidates), to: other)
            }
            collect(candidates, &output)
            return
        }
        let grace = UInt64(settings.reapGraceTicks)
        let round = ReaperState.Round(
            id: makeIdentifier(), phase: 1, candidates: candidates,
            abandonAt: ticks + 2 * grace + 4 * UInt64(settings.requestTimeoutTicks), askedAt: ticks)
        reaper.round = round
        askEveryone(round, &output)
        completeReapPhaseIfAlone(&output)
    }

    /// Tombstones this member reaps: old enough, first replica here, no
    /// pending writes on the key.
    func tombstoneCandidates() -> [KeyedObject] {
        var candidates: [KeyedObject] = []
        let age = UInt64(settings.tombstoneAgeTicksMin)
        for key in tombstoneSince.keys.sorted() {
            guard let since = tombstoneSince[key], ticks >= since + age, let object = objects[key], object.isTombstone,
                pending[key] == nil, ringReplicas(of: key).first == member
            else { continue }
            candidates.append(KeyedObject(key: key, object: object))
            if candidates.count == settings.reapKeysPerRoundMax { break }
        }
        return candidates
    }

    func askEveryone(_ round: ReaperState.Round, _ output: inout DynamoOutput) {
        for other in ring.members where other != member {
            output.send(.reapQuery(round: round.id, phase: round.phase, candidates: round.candidates), to: other)
        }
    }

    /// On a ring of one member, no vote is needed.
    mutating func completeReapPhaseIfAlone(_ output: inout DynamoOutput) {
        guard ring.members.allSatisfy({ $0 == member }) else { return }
        completeReapPhase(&output)
    }

    /// Whether this member agrees to collect `candidate`: its copy and every
    /// hint it holds of the key are exactly the tombstone, or absent, and no
    /// causal write of the key is pending here.
    func agrees(_ candidate: KeyedObject) -> Bool {
        let key = candidate.key
        if let copy = objects[key], copy != candidate.object { return false }
        for target in hints.keys.sorted() {
            if let hint = hints[target]![key], hint != candidate.object { return false }
        }
        return pending[key] == nil
    }

    mutating func onReapQuery(round: UInt64, phase: UInt8, candidates: [KeyedObject], from: MemberID, _ output: inout DynamoOutput) {
        let agreed = candidates.filter(agrees).map(\.key)
        output.send(.reapVote(round: round, phase: phase, agreed: agreed), to: from)
    }

    mutating func onReapVote(round id: UInt64, phase: UInt8, agreed: [ByteString], from: MemberID, _ output: inout DynamoOutput) {
        guard var round = reaper.round, round.id == id, round.phase == phase, round.secondPhaseAt == nil,
            ring.contains(from), !round.voted.contains(from)
        else { return }
        round.voted.insert(from)
        for key in agreed { round.agreed[key, default: []].insert(from) }
        reaper.round = round
        if ring.members.allSatisfy({ $0 == member || round.voted.contains($0) }) {
            completeReapPhase(&output)
        }
    }

    /// Every other member voted: keep the candidates all agreed to (and
    /// this member still holds), then wait for phase 2 or collect.
    mutating func completeReapPhase(_ output: inout DynamoOutput) {
        guard var round = reaper.round else { return }
        let others = ring.members.filter { $0 != member }
        round.candidates = round.candidates.filter { candidate in
            agrees(candidate) && objects[candidate.key] == candidate.object
                && others.allSatisfy { round.agreed[candidate.key]?.contains($0) ?? false }
        }
        guard !round.candidates.isEmpty else {
            reaper.round = nil
            return
        }
        if round.phase == 1 {
            round.secondPhaseAt = ticks + UInt64(settings.reapGraceTicks)
            reaper.round = round
            return
        }
        reaper.round = nil
        for other in others {
            output.send(.reap(candidates: round.candidates), to: other)
        }
        collect(round.candidates, &output)
    }

    mutating func onReap(_ candidates: [KeyedObject], _ output: inout DynamoOutput) {
        collect(candidates, &output)
    }

    /// Drops the copies and hints that are still exactly the tombstones.
    mutating func collect(_ candidates: [KeyedObject], _ output: inout DynamoOutput) {
        var collected = 0
        for candidate in candidates {
            if objects[candidate.key] == candidate.object {
                dropCopy(candidate.key, &output)
                collected += 1
            }
            for target in hints.keys.sorted() where hints[target]?[candidate.key] == candidate.object {
                dropHint(candidate.key, target: target, &output)
            }
        }
        statistics.tombstonesCollected += collected
        if collected > 0 { output.notes.append("collected \(collected) tombstones") }
    }
}
