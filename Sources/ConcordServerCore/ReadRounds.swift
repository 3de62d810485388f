/// Groups a node's linearizable reads into ReadIndex rounds, with one round
/// in flight at a time (thesis §6.4; etcd's linearizable read loop does the
/// same).
///
/// A read that arrives while a round is in flight waits for the next round,
/// which starts as soon as the one in flight learns its read index. Every
/// read of a round is served once the node has applied that index. Without
/// grouping, each read costs the leader a heartbeat to every follower and
/// each follower a request to the leader; with it, a round costs that once
/// for every read that queued up behind the previous round.
///
/// A value type with no clock of its own: times are milliseconds on the
/// caller's monotonic clock. The caller starts a round for every context
/// this returns (`RaftNode.readIndex(context:)`), reports the read states
/// and the applied index, and resumes or fails the reads by their ids.
struct ReadRounds {
    /// A read waiting for a round.
    struct Read: Equatable {
        var id: UInt64
        var deadlineMilliseconds: Int64
    }

    private struct Round {
        var reads: [Read]
        var startedMilliseconds: Int64
        var index: UInt64?
    }

    /// A round with no read index after this long is abandoned and its
    /// reads go into a new round (its request or answer may have been lost,
    /// or the leader changed).
    let retryMilliseconds: Int64
    private var nextContext: UInt64
    private var queued: [Read] = []
    private var rounds: [UInt64: Round] = [:]
    private var inFlight: UInt64?

    /// Creates an empty set of rounds whose contexts count up from
    /// `firstContext`.
    init(firstContext: UInt64, retryMilliseconds: Int64) {
        nextContext = firstContext
        self.retryMilliseconds = retryMilliseconds
    }

    /// How many reads wait, queued or in a round.
    var count: Int { queued.count + rounds.values.reduce(0) { $0 + $1.reads.count } }

    /// Adds a read.
    /// - Returns: the context of a round to start now, if none is in flight.
    mutating func add(_ read: Read, nowMilliseconds: Int64) -> UInt64? {
        queued.append(read)
        return startRoundIfIdle(nowMilliseconds: nowMilliseconds)
    }

    /// Records that Raft refused to start round `context` (no leader).
    /// - Returns: the reads of that round, to fail.
    mutating func refused(_ context: UInt64) -> [Read] {
        if inFlight == context { inFlight = nil }
        return rounds.removeValue(forKey: context)?.reads ?? []
    }

    /// Records the read index of round `context`.
    /// - Returns: the context of the next round to start, if reads queued
    ///   up meanwhile.
    mutating func readIndex(_ index: UInt64, context: UInt64, nowMilliseconds: Int64) -> UInt64? {
        guard rounds[context] != nil, rounds[context]?.index == nil else { return nil }
        rounds[context]?.index = index
        if inFlight == context { inFlight = nil }
        return startRoundIfIdle(nowMilliseconds: nowMilliseconds)
    }

    /// Takes every read whose round's index is at or below `appliedIndex`.
    mutating func servable(appliedIndex: UInt64) -> [Read] {
        var ready: [Read] = []
        for (context, round) in rounds {
            if let index = round.index, index <= appliedIndex {
                ready.append(contentsOf: round.reads)
                rounds.removeValue(forKey: context)
            }
        }
        return ready
    }

    /// Takes the reads past their deadline, and abandons the round in
    /// flight if it has waited longer than `retryMilliseconds`.
    /// - Returns: the expired reads, and the context of a round to start.
    mutating func expire(nowMilliseconds: Int64) -> (expired: [Read], start: UInt64?) {
        var expired: [Read] = []
        queued.removeAll { read in
            guard read.deadlineMilliseconds <= nowMilliseconds else { return false }
            expired.append(read)
            return true
        }
        for context in Array(rounds.keys) {
            rounds[context]?.reads.removeAll { read in
                guard read.deadlineMilliseconds <= nowMilliseconds else { return false }
                expired.append(read)
                return true
            }
            if rounds[context]?.reads.isEmpty == true {
                rounds.removeValue(forKey: context)
                if inFlight == context { inFlight = nil }
            }
        }
        if let context = inFlight, let round = rounds[context], nowMilliseconds - round.startedMilliseconds >= retryMilliseconds {
            rounds.removeValue(forKey: context)
            inFlight = nil
            queued.insert(contentsOf: round.reads, at: 0)
        }
        return (expired, startRoundIfIdle(nowMilliseconds: nowMilliseconds))
    }

    /// Takes every read, to fail them all.
    mutating func removeAll() -> [Read] {
        let all = queued + rounds.values.flatMap(\.reads)
        queued = []
        rounds = [:]
        inFlight = nil
        return all
    }

    private mutating func startRoundIfIdle(nowMilliseconds: Int64) -> UInt64? {
        guard inFlight == nil, !queued.isEmpty else { return nil }
        let context = nextContext
        nextContext &+= 1
        rounds[context] = Round(reads: queued, startedMilliseconds: nowMilliseconds)
        queued = []
        inFlight = context
        return context
    }
}
