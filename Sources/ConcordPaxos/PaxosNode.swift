import DequeModule

/// One replica of a leaderless replicated log in which every slot is an
/// independent single-decree Paxos instance ("Paxos Made Simple" §2): the
/// replica is a proposer, an acceptor and a learner of every slot.
///
/// A replica proposes its values one at a time, each in the lowest slot it
/// has not learned: phase 1 (prepare, promise) with a ballot of its own,
/// phase 2 (accept, accepted) with the value of the highest-numbered
/// proposal the promises report or else its own, and, as the ballot's
/// distinguished learner, it tells every replica once a phase-2 quorum
/// accepted (§2.3). When another value is chosen in that slot it proposes
/// its own again in the next one. A refused or timed-out attempt backs off
/// for a random number of ticks whose bound doubles with each consecutive
/// failure, up to `backoffTicksMax`: duelling proposers (§2.4) then
/// separate within a few attempts instead of preempting each other forever.
///
/// Inputs: `step(_:)`, `tick()`, `propose(_:)`, `onPersisted(upTo:)`. Every
/// input returns a `PaxosOutput`; its documentation states the ordering
/// contract. The node performs no I/O, reads no clock and draws
/// randomness only from the generator it is given. It keeps every slot's
/// state (no compaction): it is the single-decree core, for study and for
/// the simulator, not for an unbounded log.
public struct PaxosNode: Sendable {
    /// The most own values waiting to be chosen.
    public static let pendingValuesMax = 1024

    /// The settings.
    public let configuration: PaxosConfiguration
    /// This replica's id.
    public var id: ReplicaID { configuration.id }
    /// The quorum sizes in force.
    public let quorums: QuorumSizes
    /// The highest slot up to which every value is learned and handed out.
    public private(set) var learnedPrefix: UInt64 = 0
    /// The highest slot known chosen.
    public private(set) var highestChosenSlot: UInt64 = 0
    /// Attempts started, for the duelling-proposers statistics.
    public private(set) var attemptsStarted = 0
    /// Attempts refused or timed out.
    public private(set) var attemptsFailed = 0
    /// The longest run of consecutive failed attempts so far.
    public private(set) var longestFailureRun = 0
    /// Promises and acceptances this replica's acceptors answered, for
    /// statistics (and for tests that aim crashes at fresh answers).
    public private(set) var acceptorAnswers = 0
    /// Invariant violations tolerated because a test-only bug is on.
    public private(set) var toleratedViolations: [String] = []

    var acceptors: [UInt64: Acceptor] = [:]
    var learners: [UInt64: Learner] = [:]
    var chosen: [UInt64: [UInt8]] = [:]
    var highestRoundSeen: [UInt64: UInt64] = [:]
    var pendingValues: Deque<[UInt8]> = []
    var attempt: Attempt?
    var backoffRemaining: Int?
    var consecutiveFailures = 0
    var gapElapsed = 0
    var random: any RandomNumberGenerator & Sendable

    var outbox = PaxosOutput()
    var messagesAfterPersist: [PaxosMessage] = []
    var dirtySlots: Set<UInt64> = []
    var lastPersistSequence: UInt64 = 0
    var persistsInFlight: Deque<(sequence: UInt64, messages: [PaxosMessage])> = []

    /// The proposal under way.
    struct Attempt: Sendable {
        var slot: UInt64
        var proposer: Proposer
        var elapsedTicks = 0
    }

    /// Creates a replica from its durable state (empty for a fresh one).
    ///
    /// - Parameters:
    ///   - configuration: The settings; `configuration.problems` must be empty.
    ///   - durable: What the replica's storage holds.
    ///   - random: The only source of randomness (back-off).
    public init(configuration: PaxosConfiguration, restoring durable: PaxosDurableState = PaxosDurableState(), random: some RandomNumberGenerator & Sendable) {
        precondition(configuration.problems.isEmpty, "invalid Paxos configuration: \(configuration.problems)")
        self.configuration = configuration
        guard case .success(let quorums) = configuration.quorums else { preconditionFailure("checked by problems") }
        self.quorums = quorums
        self.random = random
        for record in durable.records.values {
            acceptors[record.slot] = Acceptor(promised: record.promised, accepted: record.accepted)
            if let value = record.chosen {
                chosen[record.slot] = value
                highestChosenSlot = max(highestChosenSlot, record.slot)
            }
        }
    }

    // MARK: Read-only views

    /// The value chosen in `slot`, if learned.
    public func chosenValue(at slot: UInt64) -> [UInt8]? { chosen[slot] }
    /// The acceptor of `slot` as it stands.
    public func acceptor(at slot: UInt64) -> Acceptor { acceptors[slot] ?? Acceptor() }
    /// The number of own values not yet chosen.
    public var pendingValueCount: Int { pendingValues.count }
    /// The slot and ballot of the attempt under way, if any.
    public var currentAttempt: (slot: UInt64, ballot: Ballot)? { attempt.map { ($0.slot, $0.proposer.ballot) } }

    // MARK: Inputs

    /// Handles a message from a replica.
    public mutating func step(_ message: PaxosMessage) -> PaxosOutput {
        if message.to == id && configuration.replicas.contains(message.from) {
            stepMessage(message)
        }
        return takeOutput()
    }

    /// Advances time by one tick.
    public mutating func tick() -> PaxosOutput {
        if var current = attempt {
            current.elapsedTicks += 1
            attempt = current
            // A proposer that keeps timing out waits longer (up to four
            // times), so that a slow network still lets an attempt finish.
            if current.elapsedTicks >= configuration.attemptTimeoutTicks * (1 + min(consecutiveFailures, 3)) {
                failAttempt(promised: .zero)
            }
        } else if let remaining = backoffRemaining {
            backoffRemaining = remaining > 1 ? remaining - 1 : nil
        }
        if attempt == nil && pendingValues.isEmpty && highestChosenSlot > learnedPrefix {
            gapElapsed += 1
        } else {
            gapElapsed = 0
        }
        return takeOutput()
    }

    /// Asks for `value` to be chosen in some slot. The replica proposes its
    /// values in the order given, one at a time.
    /// - Throws: `PaxosRequestError` when refused (nothing changes then).
    public mutating func propose(_ value: [UInt8]) throws(PaxosRequestError) -> PaxosOutput {
        guard !value.isEmpty else { throw .emptyValue }
        guard pendingValues.count < Self.pendingValuesMax else { throw .tooManyPendingValues(limit: Self.pendingValuesMax) }
        pendingValues.append(value)
        return takeOutput()
    }

    /// Reports that the persist request `sequence`, and every earlier one,
    /// is durable. Releases the answers that waited for it.
    public mutating func onPersisted(upTo sequence: UInt64) -> PaxosOutput {
        while let record = persistsInFlight.first, record.sequence <= sequence {
            persistsInFlight.removeFirst()
            for message in record.messages {
                deliver(message)
            }
        }
        return takeOutput()
    }

    // MARK: Message handling

    mutating func stepMessage(_ message: PaxosMessage) {
        let slot = message.slot
        guard slot > 0 else { return }
        switch message.body {
        case .prepare(let ballot):
            if answerWithDecision(slot, to: message.from) { return }
            var acceptor = acceptors[slot] ?? Acceptor()
            let before = acceptor
            let answer = acceptor.receivePrepare(ballot)
            acceptors[slot] = acceptor
            if acceptor != before { dirtySlots.insert(slot) }
            switch answer {
            case .promise(let accepted):
                answerDurably(to: message.from, slot: slot, .promise(ballot, accepted: accepted))
            case .reject(let promised):
                send(to: message.from, slot: slot, .reject(ballot, promised: promised))
            }
        case .accept(let ballot, let value):
            if answerWithDecision(slot, to: message.from) { return }
            var acceptor = acceptors[slot] ?? Acceptor()
            let before = acceptor
            let answer = acceptor.receiveAccept(
                ballot, value: value, ignoringPromise: configuration.testingBugs.contains(.acceptLowerBallot))
            acceptors[slot] = acceptor
            if acceptor != before { dirtySlots.insert(slot) }
            switch answer {
            case .accepted:
                answerDurably(to: ballot.replica, slot: slot, .accepted(ballot, value: value))
            case .reject(let promised):
                send(to: message.from, slot: slot, .reject(ballot, promised: promised))
            }
        case .promise(let ballot, let accepted):
            guard var current = attempt, current.slot == slot, current.proposer.ballot == ballot else { return }
            let value = current.proposer.receivePromise(from: message.from, accepted: accepted)
            attempt = current
            if let value {
                broadcast(slot: slot, .accept(ballot, value: value))
            }
        case .accepted(let ballot, let value):
            guard ballot.replica == id, chosen[slot] == nil else { return }
            var learner = learners[slot] ?? Learner(quorums: quorums)
            let learned = learner.receiveAccepted(from: message.from, ballot: ballot, value: value)
            learners[slot] = learner
            if let learned {
                learn(slot, learned, tellOthers: true)
            }
        case .reject(let ballot, let promised):
            highestRoundSeen[slot] = max(highestRoundSeen[slot] ?? 0, promised.round)
            guard let current = attempt, current.slot == slot, current.proposer.ballot == ballot else { return }
            failAttempt(promised: promised)
        case .decided(let values):
            for (offset, value) in values.enumerated() {
                learn(slot + UInt64(offset), value, tellOthers: false)
            }
        }
    }

    /// Answers a prepare or accept for a slot already learned with its
    /// value (and those that follow): the proposer learns it at once.
    private mutating func answerWithDecision(_ slot: UInt64, to requester: ReplicaID) -> Bool {
        guard chosen[slot] != nil else { return false }
        guard requester != id else { return true }
        var values: [[UInt8]] = []
        var next = slot
        while values.count < configuration.catchUpValuesMax, let value = chosen[next] {
            values.append(value)
            next += 1
        }
        send(to: requester, slot: slot, .decided(values))
        return true
    }

    /// Records that `value` is chosen in `slot`.
    mutating func learn(_ slot: UInt64, _ value: [UInt8], tellOthers: Bool) {
        if let known = chosen[slot] {
            if known != value {
                let violation = "two values chosen in slot \(slot) (\(known.count) and \(value.count) bytes)"
                precondition(!configuration.testingBugs.isEmpty, violation)
                toleratedViolations.append(violation)
            }
            return
        }
        chosen[slot] = value
        learners[slot] = nil
        dirtySlots.insert(slot)
        highestChosenSlot = max(highestChosenSlot, slot)
        if tellOthers {
            for replica in configuration.replicas.sorted() where replica != id {
                send(to: replica, slot: slot, .decided([value]))
            }
        }
        handOutLearnedPrefix()
        if let current = attempt, current.slot == slot {
            attempt = nil
            consecutiveFailures = 0
        }
        // The next own value may have been chosen through another
        // proposer's attempt, which adopted it from an acceptor (values
        // are taken to be unique: the application's carry request ids).
        if !value.isEmpty, pendingValues.first == value {
            pendingValues.removeFirst()
        }
    }

    // MARK: Proposing

    /// Starts the next attempt when none is under way and no back-off runs:
    /// the next own value, or a no-op where a gap has waited long enough.
    mutating func startAttemptIfIdle() {
        guard attempt == nil, backoffRemaining == nil else { return }
        var slot = learnedPrefix + 1
        while chosen[slot] != nil { slot += 1 }
        let value: [UInt8]
        if let next = pendingValues.first {
            value = next
        } else if highestChosenSlot > slot && gapElapsed >= configuration.gapTimeoutTicks {
            value = []
        } else {
            return
        }
        gapElapsed = 0
        let promised = acceptors[slot]?.promised ?? .zero
        let round = max(promised.round, highestRoundSeen[slot] ?? 0) + 1
        let ballot = Ballot(round: min(round, Ballot.roundMax), replica: id)
        attempt = Attempt(
            slot: slot,
            proposer: Proposer(
                ballot: ballot, ownValue: value, quorums: quorums,
                ignoresHighestAccepted: configuration.testingBugs.contains(.ignoreHighestAccepted)))
        attemptsStarted += 1
        broadcast(slot: slot, .prepare(ballot))
    }

    /// Gives up the attempt under way and backs off for a random number of
    /// ticks in 1...bound, where the bound doubles with each consecutive
    /// failure up to `backoffTicksMax`.
    mutating func failAttempt(promised: Ballot) {
        guard let current = attempt else { return }
        attempt = nil
        attemptsFailed += 1
        consecutiveFailures += 1
        longestFailureRun = max(longestFailureRun, consecutiveFailures)
        highestRoundSeen[current.slot] = max(highestRoundSeen[current.slot] ?? 0, promised.round)
        let limit = configuration.backoffTicksMax
        guard limit > 0 else { return }
        let bound = min(limit, 1 << min(consecutiveFailures, 20))
        backoffRemaining = 1 + Int(random.next() % UInt64(bound))
    }

    // MARK: Output assembly

    private mutating func broadcast(slot: UInt64, _ body: PaxosMessage.Body) {
        for replica in configuration.replicas.sorted() {
            let message = PaxosMessage(from: id, to: replica, slot: slot, body: body)
            if replica == id {
                stepMessage(message)
            } else {
                outbox.messages.append(message)
            }
        }
    }

    private mutating func send(to: ReplicaID, slot: UInt64, _ body: PaxosMessage.Body) {
        deliver(PaxosMessage(from: id, to: to, slot: slot, body: body))
    }

    /// An acceptor's answer, which reports its durable state: it leaves
    /// only once that state is durable ("Paxos Made Simple" §2.5).
    private mutating func answerDurably(to: ReplicaID, slot: UInt64, _ body: PaxosMessage.Body) {
        acceptorAnswers += 1
        let message = PaxosMessage(from: id, to: to, slot: slot, body: body)
        if to != id && configuration.testingBugs.contains(.answerBeforeDurable) {
            outbox.messages.append(message)
        } else {
            messagesAfterPersist.append(message)
        }
    }

    private mutating func deliver(_ message: PaxosMessage) {
        if message.to == id {
            stepMessage(message)
        } else {
            outbox.messages.append(message)
        }
    }

    /// Hands out the values learned after the prefix, in slot order (after
    /// a restart, the durable ones first).
    private mutating func handOutLearnedPrefix() {
        while let next = chosen[learnedPrefix + 1] {
            learnedPrefix += 1
            outbox.chosen.append(ChosenValue(slot: learnedPrefix, value: next))
        }
    }

    mutating func takeOutput() -> PaxosOutput {
        handOutLearnedPrefix()
        startAttemptIfIdle()
        while dirtySlots.isEmpty, persistsInFlight.isEmpty, !messagesAfterPersist.isEmpty {
            let released = messagesAfterPersist
            messagesAfterPersist = []
            for message in released { deliver(message) }
            startAttemptIfIdle()
        }
        if !dirtySlots.isEmpty {
            lastPersistSequence += 1
            let records = dirtySlots.sorted().map { slot in
                PaxosSlotRecord(
                    slot: slot, promised: acceptors[slot]?.promised ?? .zero, accepted: acceptors[slot]?.accepted,
                    chosen: chosen[slot])
            }
            dirtySlots = []
            persistsInFlight.append((lastPersistSequence, messagesAfterPersist))
            messagesAfterPersist = []
            outbox.persist = PaxosPersistRequest(sequence: lastPersistSequence, records: records)
        } else if !messagesAfterPersist.isEmpty {
            persistsInFlight[persistsInFlight.count - 1].messages.append(contentsOf: messagesAfterPersist)
            messagesAfterPersist = []
        }
        let output = outbox
        outbox = PaxosOutput()
        return output
    }
}
