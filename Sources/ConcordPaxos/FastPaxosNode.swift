import DequeModule

/// One replica of a Fast Paxos group (Lamport, "Fast Paxos", 2006) running
/// a replicated log: an acceptor and learner of every slot, and the
/// coordinator when it leads.
///
/// - A coordinator runs phase 1 with a new ballot for every slot after its
///   commit index, decides each slot the promises report with rule O4
///   (`FastPaxosValueRule`) in a classic round, places any command it saw
///   lose a collision (or held while campaigning) in one more classic slot,
///   and then, when at least a fast quorum of acceptors promised, sends an
///   "any" message that makes the ballot a fast round for every later slot.
/// - In a fast round clients send commands straight to every acceptor; each
///   acceptor votes for a command in its next free slot and tells the
///   coordinator, which learns a slot once a fast quorum voted alike: two
///   message delays from client to learner instead of three.
/// - Acceptors that received commands in different orders vote for
///   different values in a slot: a collision. The coordinator detects it
///   as soon as no value can still reach a fast quorum (`FastPaxosTally`),
///   or when its commit index stalls, and recovers through a classic round
///   of a new ballot, which also lines the acceptors' next free slots up
///   again ("coordinated recovery", §3.3; Concord runs phase 1 explicitly
///   instead of reusing the fast round's votes as promises, so that every
///   acceptor's slot counter is reset).
/// - With fewer than a fast quorum of acceptors heard from, the coordinator
///   runs classic rounds only and proposes the clients' commands itself.
///
/// Inputs: `step(_:)`, `tick()`, `propose(_:)` (a client command arriving
/// at this replica), `onPersisted(upTo:)`; each returns a `FastPaxosOutput`
/// whose documentation states the ordering contract. No I/O, no clock,
/// randomness only from the generator given. Like `PaxosNode` it keeps
/// every slot (no compaction).
public struct FastPaxosNode: Sendable {
    /// How far below the commit index votes of earlier ballots are still
    /// counted, in slots.
    static let earlierBallotSlotsKept: UInt64 = 256

    /// The settings.
    public let configuration: FastPaxosConfiguration
    /// This replica's id.
    public var id: ReplicaID { configuration.id }
    /// The quorum sizes in force.
    public let quorums: FastQuorumSizes
    /// The highest ballot promised.
    public internal(set) var promised: Ballot
    /// The ballot this replica campaigns or coordinates with.
    public internal(set) var ballot: Ballot = .zero
    /// The role.
    public internal(set) var role: FastPaxosRole = .follower
    /// The coordinator this replica follows, if known.
    public internal(set) var coordinator: ReplicaID?
    /// The highest slot up to which every value is learned.
    public internal(set) var committed: UInt64 = 0
    /// True while this coordinator's ballot is a fast round.
    public internal(set) var isFastRound = false
    /// Slots the coordinator decided in a fast round.
    public internal(set) var fastDecisions = 0
    /// Slots the coordinator decided in a classic round.
    public internal(set) var classicDecisions = 0
    /// Collisions the coordinator detected.
    public internal(set) var collisions = 0
    /// Recoveries started because the commit index stalled.
    public internal(set) var stalls = 0
    /// Promises and votes this replica answered to others, for statistics
    /// (and for tests that aim crashes at fresh answers).
    public internal(set) var acceptorAnswers = 0
    /// Invariant violations tolerated because a test-only bug is on.
    public internal(set) var toleratedViolations: [String] = []

    var votes: [UInt64: FastPaxosVote] = [:]
    var chosen: [UInt64: [[UInt8]]] = [:]
    var highestChosen: UInt64 = 0
    var fastBallot: Ballot?
    var nextFastSlot: UInt64 = 1
    var highestRoundSeen: UInt64 = 0
    var promises: [ReplicaID: (commit: UInt64, votes: [FastPaxosVote], chosen: [FastPaxosDecision])] = [:]
    var heldCommands: [[UInt8]] = []
    var promisedBy: Set<ReplicaID> = []
    var tallies: [UInt64: FastPaxosTally] = [:]
    /// Votes of earlier ballots of this replica, by slot and ballot.
    var earlierTallies: [UInt64: [Ballot: FastPaxosTally]] = [:]
    var nextClassicSlot: UInt64 = 1
    var followerCommit: [ReplicaID: UInt64] = [:]
    var recentActive: Set<ReplicaID> = []
    var newDecisions: [FastPaxosDecision] = []
    var stallElapsed = 0
    var committedAtLastTick: UInt64 = 0
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var random: any RandomNumberGenerator & Sendable

    var outbox = FastPaxosOutput()
    var messagesAfterPersist: [FastPaxosMessage] = []
    var dirtySlots: Set<UInt64> = []
    var promisedHandedOut: Ballot
    var lastPersistSequence: UInt64 = 0
    var persistsInFlight: Deque<(sequence: UInt64, messages: [FastPaxosMessage])> = []
    var reportedRole: FastPaxosRoleState

    /// Creates a replica from its durable state (empty for a fresh one).
    public init(
        configuration: FastPaxosConfiguration, restoring durable: FastPaxosDurableState = FastPaxosDurableState(),
        random: some RandomNumberGenerator & Sendable
    ) {
        precondition(configuration.problems.isEmpty, "invalid Fast Paxos configuration: \(configuration.problems)")
        self.configuration = configuration
        guard case .success(let quorums) = configuration.quorums else { preconditionFailure("checked by problems") }
        self.quorums = quorums
        self.random = random
        promised = durable.promised
        promisedHandedOut = durable.promised
        highestRoundSeen = durable.promised.round
        for record in durable.records.values {
            if let vote = record.vote { votes[record.slot] = vote }
            if let value = record.chosen {
                chosen[record.slot] = value
                highestChosen = max(highestChosen, record.slot)
            }
        }
        reportedRole = FastPaxosRoleState(role: .follower, coordinator: nil, ballot: durable.promised, isFast: false)
        resetRandomizedElectionTimeout()
    }

    // MARK: Read-only views

    /// The value chosen in `slot`, if learned.
    public func chosenValue(at slot: UInt64) -> [[UInt8]]? { chosen[slot] }
    /// This acceptor's vote in `slot`, if any.
    public func vote(at slot: UInt64) -> FastPaxosVote? { votes[slot] }
    /// True when this acceptor takes client commands straight (a fast round).
    public var acceptsFastProposals: Bool { fastBallot != nil && fastBallot == promised }

    // MARK: Inputs

    /// Handles a message from a replica.
    public mutating func step(_ message: FastPaxosMessage) -> FastPaxosOutput {
        if message.to == id && configuration.replicas.contains(message.from) {
            stepMessage(message)
        }
        return takeOutput()
    }

    /// Advances time by one tick.
    public mutating func tick() -> FastPaxosOutput {
        if role == .coordinator {
            tickCoordinator()
        } else {
            electionElapsed += 1
            if electionElapsed >= randomizedElectionTimeout {
                startCampaign()
            } else if role == .candidate && electionElapsed % configuration.heartbeatIntervalTicks == 0 {
                sendPrepares()
            }
        }
        return takeOutput()
    }

    /// Starts phase 1 now, as if the election timeout had passed.
    public mutating func campaign() -> FastPaxosOutput {
        startCampaign()
        return takeOutput()
    }

    /// A client command arrives at this replica. In a fast round the
    /// acceptor votes for it in its next free slot; a coordinator of a
    /// classic round proposes it; a candidate holds it for the round it is
    /// about to open.
    /// - Throws: `FastPaxosRequestError` when this replica can do none of
    ///   these (nothing changes then).
    public mutating func propose(_ command: [UInt8]) throws(FastPaxosRequestError) -> FastPaxosOutput {
        if acceptsFastProposals, let fast = fastBallot {
            voteFast(command, in: fast)
        } else if role == .coordinator {
            let slot = nextClassicSlot
            nextClassicSlot += 1
            proposeClassic([FastPaxosDecision(slot: slot, value: [command])])
        } else if role == .candidate {
            guard heldCommands.count < configuration.heldCommandsMax else { throw .tooManyHeldCommands }
            if !heldCommands.contains(command) { heldCommands.append(command) }
        } else {
            throw .notInFastRound(coordinatorHint: coordinator)
        }
        return takeOutput()
    }

    /// Reports that the persist request `sequence`, and every earlier one,
    /// is durable. Releases the promises and votes that waited for it.
    public mutating func onPersisted(upTo sequence: UInt64) -> FastPaxosOutput {
        while let record = persistsInFlight.first, record.sequence <= sequence {
            persistsInFlight.removeFirst()
            for message in record.messages { deliver(message) }
        }
        return takeOutput()
    }

    // MARK: Acceptor

    private mutating func voteFast(_ command: [UInt8], in fast: Ballot) {
        var slot = max(nextFastSlot, committed + 1)
        while chosen[slot] != nil || votes[slot]?.ballot == fast { slot += 1 }
        let vote = FastPaxosVote(slot: slot, ballot: fast, value: [command], isFast: true)
        votes[slot] = vote
        dirtySlots.insert(slot)
        nextFastSlot = slot + 1
        answer(to: fast.replica, ballot: fast, .votes([vote]))
    }

    mutating func stepMessage(_ message: FastPaxosMessage) {
        switch message.body {
        case .prepare(let fromSlot):
            handlePrepare(message, fromSlot: fromSlot)
        case .accept, .any, .commit:
            stepFromCoordinator(message)
        case .promise(let commit, let reported, let chosenReported):
            guard role != .follower, message.ballot == ballot else { return }
            for decision in chosenReported { learn(decision.slot, decision.value) }
            if role == .coordinator {
                // A late promise: every value that may have been chosen
                // was reported by the quorum already; it only counts
                // towards opening a fast round.
                promisedBy.insert(message.from)
                openFastRoundIfPossible()
                return
            }
            promises[message.from] = (commit, reported, chosenReported)
            if promises.count >= quorums.classic { becomeCoordinator() }
        case .reject(let higher):
            highestRoundSeen = max(highestRoundSeen, higher.round)
            guard role != .follower, message.ballot == ballot, higher > ballot else { return }
            if role == .coordinator {
                startCampaign()
            } else {
                becomeFollower(promising: promised, coordinator: nil)
            }
        case .votes(let reported):
            guard role == .coordinator, message.ballot == ballot else {
                // Votes of an earlier ballot of this replica: still votes,
                // and a quorum of them chooses a value whoever coordinates.
                for vote in reported where vote.ballot.replica == id { learnFromEarlierBallot(vote, from: message.from) }
                return
            }
            recentActive.insert(message.from)
            for vote in reported {
                if vote.ballot == ballot {
                    countVote(vote, from: message.from)
                    if role != .coordinator { return }
                } else if vote.ballot.replica == id {
                    learnFromEarlierBallot(vote, from: message.from)
                }
            }
        case .commitResponse(let commit):
            guard role == .coordinator, message.ballot == ballot else { return }
            recentActive.insert(message.from)
            followerCommit[message.from] = max(followerCommit[message.from] ?? 0, commit)
        }
    }

    private mutating func stepFromCoordinator(_ message: FastPaxosMessage) {
        if message.ballot < promised {
            // Chosen values are chosen whoever reports them.
            if case .commit(_, let decisions) = message.body {
                for decision in decisions { learn(decision.slot, decision.value) }
            }
            send(to: message.from, ballot: message.ballot, .reject(promised: promised))
            return
        }
        if message.ballot > promised {
            becomeFollower(promising: message.ballot, coordinator: message.from)
        } else if role != .follower && message.from != id {
            // A ballot belongs to one replica: only the coordinator's own
            // accepts reach it in its own ballot.
            return
        }
        electionElapsed = 0
        coordinator = message.from
        switch message.body {
        case .accept(let decisions):
            var cast: [FastPaxosVote] = []
            for decision in decisions where decision.slot > 0 {
                let vote = FastPaxosVote(slot: decision.slot, ballot: message.ballot, value: decision.value, isFast: false)
                votes[decision.slot] = vote
                dirtySlots.insert(decision.slot)
                cast.append(vote)
            }
            if !cast.isEmpty { answer(to: message.from, ballot: message.ballot, .votes(cast)) }
        case .any(let fromSlot):
            fastBallot = message.ballot
            nextFastSlot = max(fromSlot, 1)
        case .commit(_, let decisions):
            for decision in decisions { learn(decision.slot, decision.value) }
            send(to: message.from, ballot: message.ballot, .commitResponse(commit: committed))
        default:
            break
        }
    }

    private mutating func handlePrepare(_ message: FastPaxosMessage, fromSlot: UInt64) {
        let candidateBallot = message.ballot
        guard candidateBallot.replica == message.from else { return }
        if candidateBallot < promised {
            send(to: message.from, ballot: candidateBallot, .reject(promised: promised))
            return
        }
        if candidateBallot > promised {
            let inLease =
                configuration.checkQuorum && coordinator != nil && coordinator != message.from
                && electionElapsed < configuration.electionTimeoutTicks
            if inLease { return }
            becomeFollower(promising: candidateBallot, coordinator: nil)
        }
        let reportedVotes = votes.keys.filter { $0 >= fromSlot }.sorted().map { votes[$0]! }
        let reportedChosen = chosen.keys.filter { $0 >= fromSlot }.sorted().map { FastPaxosDecision(slot: $0, value: chosen[$0]!) }
        answer(to: message.from, ballot: candidateBallot, .promise(commit: committed, votes: reportedVotes, chosen: reportedChosen))
    }

    // MARK: Learner

    mutating func learn(_ slot: UInt64, _ value: [[UInt8]]) {
        guard slot > 0 else { return }
        if let known = chosen[slot] {
            if known != value {
                let violation = "two values chosen in slot \(slot)"
                precondition(!configuration.testingBugs.isEmpty, violation)
                toleratedViolations.append(violation)
            }
            return
        }
        chosen[slot] = value
        dirtySlots.insert(slot)
        highestChosen = max(highestChosen, slot)
        tallies[slot] = nil
        handOutLearnedPrefix()
    }

    /// Hands out the values learned after the commit index, in slot order
    /// (after a restart, the durable ones first).
    private mutating func handOutLearnedPrefix() {
        while let next = chosen[committed + 1] {
            committed += 1
            outbox.chosen.append(FastPaxosDecision(slot: committed, value: next))
        }
    }

    // MARK: Roles and phase 1

    mutating func resetRandomizedElectionTimeout() {
        let timeout = UInt64(configuration.electionTimeoutTicks)
        randomizedElectionTimeout = Int(timeout + random.next() % timeout)
    }

    private mutating func resetBallotState() {
        ballot = .zero
        coordinator = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        stallElapsed = 0
        resetRandomizedElectionTimeout()
        promises = [:]
        promisedBy = []
        tallies = [:]
        followerCommit = [:]
        recentActive = []
        newDecisions = []
        isFastRound = false
    }

    mutating func becomeFollower(promising newPromise: Ballot, coordinator newCoordinator: ReplicaID?) {
        resetBallotState()
        promised = max(promised, newPromise)
        highestRoundSeen = max(highestRoundSeen, promised.round)
        coordinator = newCoordinator
        role = .follower
        heldCommands = []
    }

    /// Starts phase 1 with a ballot above every one seen; the own promise
    /// counts once durable.
    mutating func startCampaign() {
        resetBallotState()
        role = .candidate
        let round = min(max(promised.round, highestRoundSeen) + 1, Ballot.roundMax)
        ballot = Ballot(round: round, replica: id)
        promised = ballot
        highestRoundSeen = round
        let ownVotes = votes.keys.filter { $0 > committed }.sorted().map { votes[$0]! }
        messagesAfterPersist.append(
            FastPaxosMessage(from: id, to: id, ballot: ballot, body: .promise(commit: committed, votes: ownVotes, chosen: [])))
        sendPrepares()
    }

    mutating func sendPrepares() {
        for replica in configuration.replicas.sorted() where replica != id && promises[replica] == nil {
            send(to: replica, ballot: ballot, .prepare(fromSlot: committed + 1))
        }
    }

    /// With a classic quorum of promises: decide every reported slot in a
    /// classic round (rule O4), place the commands that lost and those held
    /// in one more slot, and open a fast round after them when a fast
    /// quorum promised.
    private mutating func becomeCoordinator() {
        precondition(role == .candidate)
        role = .coordinator
        coordinator = id
        let quorum = promises.keys.sorted()
        let start = committed + 1
        var reported: [UInt64: [ReplicaID: FastPaxosVote]] = [:]
        var end = highestChosen
        for replica in quorum {
            for vote in promises[replica]!.votes where vote.slot >= start {
                reported[vote.slot, default: [:]][replica] = vote
                end = max(end, vote.slot)
            }
        }
        var seen: [[UInt8]] = []
        var included: Set<[UInt8]> = []
        var proposals: [FastPaxosDecision] = []
        if start <= end {
            for slot in start...end {
                let slotVotes = reported[slot] ?? [:]
                for replica in slotVotes.keys.sorted() {
                    for command in slotVotes[replica]!.value where !seen.contains(command) { seen.append(command) }
                }
                if let value = chosen[slot] {
                    included.formUnion(value)
                    continue
                }
                let value: [[UInt8]]
                switch FastPaxosValueRule.pick(votes: slotVotes, quorum: quorum, quorums: quorums, coordinator: id) {
                case .nothingVoted: value = []
                case .forced(let forced): value = forced
                case .free(let commands): value = commands
                }
                included.formUnion(value)
                proposals.append(FastPaxosDecision(slot: slot, value: value))
            }
        }
        var next = max(end, committed) + 1
        var extra = seen.filter { !included.contains($0) }
        for command in heldCommands where !included.contains(command) && !extra.contains(command) {
            extra.append(command)
        }
        heldCommands = []
        if !extra.isEmpty {
            proposals.append(FastPaxosDecision(slot: next, value: extra))
            next += 1
        }
        nextClassicSlot = next
        promises = [:]
        for replica in configuration.replicas where replica != id {
            followerCommit[replica] = 0
        }
        promisedBy = Set(quorum)
        if !proposals.isEmpty { proposeClassic(proposals) }
        openFastRoundIfPossible()
    }

    /// Makes the ballot a fast round for every slot after the classic ones
    /// once a fast quorum has promised it (an "any" message, §3.1).
    private mutating func openFastRoundIfPossible() {
        guard role == .coordinator, !isFastRound, configuration.fastRoundsEnabled, promisedBy.count >= quorums.fast else {
            return
        }
        isFastRound = true
        for replica in configuration.replicas.sorted() where replica != id {
            send(to: replica, ballot: ballot, .any(fromSlot: nextClassicSlot))
        }
        fastBallot = ballot
        nextFastSlot = nextClassicSlot
    }

    // MARK: Coordinator

    private mutating func proposeClassic(_ decisions: [FastPaxosDecision]) {
        for decision in decisions where tallies[decision.slot] == nil {
            tallies[decision.slot] = FastPaxosTally(isFast: false, quorum: quorums.classic, replicaCount: quorums.replicaCount)
        }
        for replica in configuration.replicas.sorted() {
            send(to: replica, ballot: ballot, .accept(decisions))
        }
    }

    private mutating func countVote(_ vote: FastPaxosVote, from acceptor: ReplicaID) {
        guard vote.slot > committed, chosen[vote.slot] == nil else { return }
        var tally =
            tallies[vote.slot]
            ?? FastPaxosTally(
                isFast: vote.isFast, quorum: vote.isFast ? quorums.fast : quorums.classic,
                replicaCount: quorums.replicaCount)
        guard tally.isFast == vote.isFast else { return }
        switch tally.add(vote.value, from: acceptor) {
        case .chosen(let value):
            if tally.isFast { fastDecisions += 1 } else { classicDecisions += 1 }
            learn(vote.slot, value)
            newDecisions.append(FastPaxosDecision(slot: vote.slot, value: value))
        case .collision:
            collisions += 1
            startCampaign()
        case .pending:
            tallies[vote.slot] = tally
        }
    }

    /// The learner's side of votes cast in an earlier ballot of this
    /// replica, which arrive after it moved on: a quorum of votes in any
    /// round chooses a value, whatever round the coordinator is in now, so
    /// they are counted too.
    private mutating func learnFromEarlierBallot(_ vote: FastPaxosVote, from acceptor: ReplicaID) {
        guard vote.slot + Self.earlierBallotSlotsKept > committed else { return }
        var byBallot = earlierTallies[vote.slot] ?? [:]
        var tally =
            byBallot[vote.ballot]
            ?? FastPaxosTally(
                isFast: vote.isFast, quorum: vote.isFast ? quorums.fast : quorums.classic, replicaCount: quorums.replicaCount)
        guard tally.isFast == vote.isFast else { return }
        if case .chosen(let value) = tally.add(vote.value, from: acceptor) {
            earlierTallies[vote.slot] = nil
            learn(vote.slot, value)
            return
        }
        byBallot[vote.ballot] = tally
        earlierTallies[vote.slot] = byBallot
        if earlierTallies.count > Self.earlierBallotSlotsKept {
            earlierTallies = earlierTallies.filter { $0.key + Self.earlierBallotSlotsKept > committed }
        }
    }

    private mutating func tickCoordinator() {
        heartbeatElapsed += 1
        electionElapsed += 1
        let waiting = tallies.keys.contains { $0 > committed } || highestChosen > committed
        if !waiting || committed > committedAtLastTick {
            stallElapsed = 0
        } else {
            stallElapsed += 1
        }
        committedAtLastTick = committed
        if stallElapsed >= configuration.stallTimeoutTicks {
            stalls += 1
            startCampaign()
            return
        }
        if electionElapsed >= configuration.electionTimeoutTicks {
            electionElapsed = 0
            let active = 1 + recentActive.count
            recentActive = []
            if configuration.checkQuorum && active < quorums.classic {
                becomeFollower(promising: promised, coordinator: nil)
                return
            }
            let wantsFast = configuration.fastRoundsEnabled && active >= quorums.fast
            if isFastRound && !wantsFast {
                // Fast slots are open and a fast quorum is no longer heard
                // from: a new ballot recovers them in classic rounds.
                startCampaign()
                return
            }
            if wantsFast && !isFastRound {
                for replica in configuration.replicas.sorted() where replica != id && !promisedBy.contains(replica) {
                    send(to: replica, ballot: ballot, .prepare(fromSlot: committed + 1))
                }
            }
        }
        if heartbeatElapsed >= configuration.heartbeatIntervalTicks {
            heartbeatElapsed = 0
            for replica in configuration.replicas.sorted() where replica != id {
                let acknowledged = followerCommit[replica] ?? 0
                var decisions: [FastPaxosDecision] = []
                var slot = acknowledged + 1
                while slot <= highestChosen && decisions.count < configuration.valuesPerMessageMax {
                    if let value = chosen[slot] { decisions.append(FastPaxosDecision(slot: slot, value: value)) }
                    slot += 1
                }
                send(to: replica, ballot: ballot, .commit(commit: committed, decisions: decisions))
            }
        }
    }

    // MARK: Output assembly

    private mutating func send(to: ReplicaID, ballot messageBallot: Ballot, _ body: FastPaxosMessage.Body) {
        deliver(FastPaxosMessage(from: id, to: to, ballot: messageBallot, body: body))
    }

    /// Promises and votes report durable state: they leave once it is.
    private mutating func answer(to: ReplicaID, ballot messageBallot: Ballot, _ body: FastPaxosMessage.Body) {
        let message = FastPaxosMessage(from: id, to: to, ballot: messageBallot, body: body)
        if to != id { acceptorAnswers += 1 }
        if to != id && configuration.testingBugs.contains(.answerBeforeDurable) {
            outbox.messages.append(message)
        } else {
            messagesAfterPersist.append(message)
        }
    }

    private mutating func deliver(_ message: FastPaxosMessage) {
        if message.to == id {
            stepMessage(message)
        } else {
            outbox.messages.append(message)
        }
    }

    private var hasUnhandedState: Bool { promised != promisedHandedOut || !dirtySlots.isEmpty }

    mutating func takeOutput() -> FastPaxosOutput {
        handOutLearnedPrefix()
        while !hasUnhandedState, persistsInFlight.isEmpty, !messagesAfterPersist.isEmpty {
            let released = messagesAfterPersist
            messagesAfterPersist = []
            for message in released { deliver(message) }
        }
        if role == .coordinator && !newDecisions.isEmpty {
            let decisions = newDecisions
            newDecisions = []
            for replica in configuration.replicas.sorted() where replica != id {
                send(to: replica, ballot: ballot, .commit(commit: committed, decisions: decisions))
            }
        }
        newDecisions = []
        if hasUnhandedState {
            lastPersistSequence += 1
            let records = dirtySlots.sorted().map { FastPaxosSlotRecord(slot: $0, vote: votes[$0], chosen: chosen[$0]) }
            dirtySlots = []
            let newPromise = promised != promisedHandedOut ? promised : nil
            promisedHandedOut = promised
            persistsInFlight.append((lastPersistSequence, messagesAfterPersist))
            messagesAfterPersist = []
            outbox.persist = FastPaxosPersistRequest(sequence: lastPersistSequence, promised: newPromise, records: records)
        } else if !messagesAfterPersist.isEmpty {
            persistsInFlight[persistsInFlight.count - 1].messages.append(contentsOf: messagesAfterPersist)
            messagesAfterPersist = []
        }
        let current = FastPaxosRoleState(role: role, coordinator: coordinator, ballot: promised, isFast: isFastRound)
        if current != reportedRole {
            reportedRole = current
            outbox.roleChange = current
        }
        let output = outbox
        outbox = FastPaxosOutput()
        return output
    }
}
