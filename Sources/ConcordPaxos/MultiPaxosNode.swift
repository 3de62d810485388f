import DequeModule

/// One replica of a Multi-Paxos group ("Paxos Made Simple" §3): a
/// replicated log of slots, each a Paxos instance, with a distinguished
/// leader that runs phase 1 once for every slot it has not learned and then
/// only phase 2 per command.
///
/// - A follower that hears no leader for a randomized election timeout
///   becomes a candidate: it promises its own new ballot and sends prepare
///   for every slot after its commit index. Acceptors promise and report
///   every value they accepted from there on (and their snapshot when the
///   candidate is behind it).
/// - With promises from a phase-1 quorum the candidate leads. Phase-1
///   recovery: for every slot after its commit index up to the highest any
///   promise reports, it proposes in its own ballot the value a promise
///   reports as chosen, else the value accepted in the highest ballot, else
///   a no-op (gaps are filled so that the log can be applied in order).
/// - The leader then proposes commands at the end of its log, batched and
///   pipelined, and a slot is chosen once a phase-2 quorum agrees with the
///   leader up to it. Because every slot above the leader's commit index
///   holds a proposal of the leader's own ballot, counting acceptors is
///   enough to choose (there is no counterpart of Raft's Figure 8 rule).
/// - Commit indexes travel on accepts and heartbeats; followers mark chosen
///   only the slots they hold in the leader's ballot.
/// - Reads are linearizable: a read waits until the leader's recovered
///   slots are chosen, then either for a read quorum (one that meets every
///   phase-1 quorum) to confirm the leader still leads, or, with a declared
///   clock-drift bound, for nothing while the leader's lease holds.
/// - Flexible quorums: any phase-1 and phase-2 sizes with
///   `|Q1| + |Q2| > n` (`QuorumSizes`).
///
/// The interface is `RaftNode`'s: `step(_:)`, `tick()`, `propose(batch:)`,
/// `readIndex(context:)`, `transferLeadership(to:)`,
/// `compact(upTo:snapshotData:)` and `onPersisted(upTo:)`, each returning a
/// `MultiPaxosOutput` whose documentation states the ordering contract. The
/// node performs no I/O, reads no clock and draws randomness only from the
/// generator it is given.
public struct MultiPaxosNode: Sendable {
    /// The settings.
    public let configuration: MultiPaxosConfiguration
    /// This replica's id.
    public var id: ReplicaID { configuration.id }
    /// The quorum sizes in force.
    public let quorums: QuorumSizes
    /// The highest ballot promised (durable before any answer reports it).
    public internal(set) var promised: Ballot
    /// The ballot this replica campaigns or leads with (`.zero` otherwise).
    public internal(set) var ballot: Ballot = .zero
    /// The role.
    public internal(set) var role: MultiPaxosRole = .follower
    /// The leader this replica follows, if known.
    public internal(set) var leader: ReplicaID?
    /// The leader's view of every other replica.
    public internal(set) var progress: [ReplicaID: ReplicaProgress] = [:]
    /// The target of the leadership transfer under way, if any.
    public internal(set) var leadTransferee: ReplicaID?
    /// The last slot the leader's phase-1 recovery re-proposed; reads wait
    /// until it is chosen.
    public internal(set) var recoveryEnd: UInt64 = 0
    /// Leaderships won, for statistics.
    public internal(set) var campaignsWon = 0
    /// Campaigns started, for statistics.
    public internal(set) var campaignsStarted = 0
    /// Promises and acceptances this replica answered to others, for
    /// statistics (and for tests that aim crashes at fresh answers).
    public internal(set) var acceptorAnswers = 0

    var log: MultiPaxosLog
    var highestRoundSeen: UInt64 = 0
    var promises: [ReplicaID: MultiPaxosMessage.Promise] = [:]
    var isLeadershipTransferCampaign = false
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var random: any RandomNumberGenerator & Sendable
    var tickCount: UInt64 = 0
    /// True until the node hears a leader or an election timeout passes
    /// after a restart: with lease reads, a restarted acceptor honours a
    /// lease it may have granted before the crash.
    var honoursLeaseAfterRestart: Bool
    var uncommittedBytes = 0
    var snapshot: MultiPaxosSnapshot
    var incomingSnapshot: MultiPaxosSnapshot?
    var snapshotOffsets: [ReplicaID: Int] = [:]
    var readRound: UInt64 = 0
    var pendingReads: Deque<PendingRead> = []
    var readsAwaitingRecovery: [(from: ReplicaID, context: UInt64)] = []
    var leaseInvalidated = false

    // Output assembly.
    var outbox = MultiPaxosOutput()
    var messagesAfterPersist: [MultiPaxosMessage] = []
    var hardStateHandedOut: MultiPaxosHardState
    var snapshotToPersist: MultiPaxosSnapshot?
    var lastPersistSequence: UInt64 = 0
    var persistsInFlight: Deque<PersistRecord> = []
    var reportedRole: MultiPaxosRoleState

    struct PersistRecord: Sendable {
        var sequence: UInt64
        var snapshotIndex: UInt64?
        var messages: [MultiPaxosMessage]
    }

    struct PendingRead: Sendable {
        var index: UInt64
        var context: UInt64
        var from: ReplicaID
        var round: UInt64
    }

    /// Creates a replica from its durable state (`MultiPaxosDurableState()`
    /// for a replica of a new group). The application restores its state
    /// machine from `durable.snapshot` itself; the node then hands out the
    /// chosen entries that follow it.
    ///
    /// - Parameters:
    ///   - configuration: The settings; `configuration.problems` must be empty.
    ///   - durable: The durable state to start from.
    ///   - random: The only source of randomness (election timeouts).
    public init(
        configuration: MultiPaxosConfiguration, restoring durable: MultiPaxosDurableState = MultiPaxosDurableState(),
        random: some RandomNumberGenerator & Sendable
    ) {
        precondition(configuration.problems.isEmpty, "invalid Multi-Paxos configuration: \(configuration.problems)")
        self.configuration = configuration
        guard case .success(let quorums) = configuration.quorums else { preconditionFailure("checked by problems") }
        self.quorums = quorums
        promised = durable.hardState.promised
        highestRoundSeen = durable.hardState.promised.round
        log = MultiPaxosLog(restoring: durable, toleratesViolations: !configuration.testingBugs.isEmpty)
        snapshot = durable.snapshot
        self.random = random
        hardStateHandedOut = durable.hardState
        // A replica that never promised a ballot granted nobody a lease.
        honoursLeaseAfterRestart = configuration.leaseReadsEnabled && durable.hardState.promised != .zero
        reportedRole = MultiPaxosRoleState(role: .follower, leader: nil, ballot: durable.hardState.promised)
        resetRandomizedElectionTimeout()
    }

    // MARK: Read-only views

    /// The hard state as it stands (not necessarily durable yet).
    public var hardState: MultiPaxosHardState { MultiPaxosHardState(promised: promised, commit: log.committed) }
    /// The highest slot up to which every value is known chosen.
    public var commitIndex: UInt64 { log.committed }
    /// The highest slot handed to the application.
    public var appliedIndex: UInt64 { log.applied }
    /// The last slot of the log.
    public var lastIndex: UInt64 { log.lastIndex }
    /// The highest slot durable with everything before it.
    public var persistedIndex: UInt64 { log.persisted }
    /// The slot of the latest snapshot.
    public var snapshotIndex: UInt64 { log.snapshotIndex }
    /// The entry at `slot`, if the log holds it.
    public func entry(at slot: UInt64) -> MultiPaxosLogEntry? { log.entry(at: slot) }
    /// Invariant violations tolerated because a test-only bug is on.
    public var toleratedViolations: [String] { log.violations }

    // MARK: Inputs

    /// Handles a message from a replica.
    public mutating func step(_ message: MultiPaxosMessage) -> MultiPaxosOutput {
        if message.to == id && configuration.replicas.contains(message.from) {
            stepMessage(message)
        }
        return takeOutput()
    }

    /// Advances time by one tick.
    public mutating func tick() -> MultiPaxosOutput {
        tickCount += 1
        if role == .leader {
            tickHeartbeat()
        } else {
            tickElection()
        }
        return takeOutput()
    }

    /// Starts phase 1 now, as if the election timeout had passed. Ignored
    /// by a leader.
    public mutating func campaign() -> MultiPaxosOutput {
        if role != .leader { campaign(transfer: false) }
        return takeOutput()
    }

    /// Proposes one command.
    /// - Throws: `MultiPaxosRequestError` when refused (nothing changes then).
    public mutating func propose(_ command: [UInt8]) throws(MultiPaxosRequestError) -> MultiPaxosOutput {
        try propose(batch: [command])
    }

    /// Proposes several commands at once; they take consecutive slots and
    /// travel together.
    /// - Throws: `MultiPaxosRequestError` when refused (nothing changes then).
    public mutating func propose(batch: [[UInt8]]) throws(MultiPaxosRequestError) -> MultiPaxosOutput {
        guard !batch.isEmpty else { throw .emptyProposal }
        for command in batch where command.count > configuration.proposalBytesMax {
            throw .proposalTooLarge(bytes: command.count, limit: configuration.proposalBytesMax)
        }
        if role == .leader {
            try appendProposals(batch)
        } else if let leader, configuration.forwardsProposals {
            send(to: leader, ballot: .zero, .forwardedProposal(batch))
        } else {
            throw .notLeader(leaderHint: leader)
        }
        return takeOutput()
    }

    /// Asks for a linearizable read: a `MultiPaxosReadState` with this
    /// `context` appears in a later output.
    /// - Throws: `MultiPaxosRequestError.notLeader` when no leader is known.
    public mutating func readIndex(context: UInt64) throws(MultiPaxosRequestError) -> MultiPaxosOutput {
        if role == .leader {
            handleReadIndex(from: id, context: context)
        } else if let leader {
            send(to: leader, ballot: .zero, .readIndexRequest(context: context))
        } else {
            throw .notLeader(leaderHint: nil)
        }
        return takeOutput()
    }

    /// Asks the leader to hand leadership to `target`: it brings the
    /// target's log up to date and tells it to run phase 1 at once.
    /// - Throws: `MultiPaxosRequestError` when this replica does not lead or
    ///   the target is not a replica.
    public mutating func transferLeadership(to target: ReplicaID) throws(MultiPaxosRequestError) -> MultiPaxosOutput {
        guard role == .leader else { throw .notLeader(leaderHint: leader) }
        guard target == id || progress[target] != nil else { throw .invalidTransferTarget(target) }
        startLeadershipTransfer(to: target)
        return takeOutput()
    }

    /// Records that the application took a snapshot after applying every
    /// slot up to `index`, and discards those slots. The snapshot may be of
    /// a slot before the applied one (an application that encodes its state
    /// in the background hands it over later); one at or before the latest
    /// snapshot changes nothing.
    /// - Throws: `MultiPaxosRequestError.snapshotIndexNotApplied` when
    ///   `index` is past the applied slot.
    public mutating func compact(upTo index: UInt64, snapshotData: [UInt8]) throws(MultiPaxosRequestError) -> MultiPaxosOutput {
        guard index <= log.applied else { throw .snapshotIndexNotApplied(requested: index, applied: log.applied) }
        if index > log.snapshotIndex {
            snapshot = MultiPaxosSnapshot(index: index, data: snapshotData)
            snapshotToPersist = snapshot
            log.compact(upTo: index)
        }
        return takeOutput()
    }

    /// Reports that the persist request `sequence`, and every earlier one,
    /// is durable. Releases the messages that waited for it.
    public mutating func onPersisted(upTo sequence: UInt64) -> MultiPaxosOutput {
        while let record = persistsInFlight.first, record.sequence <= sequence {
            persistsInFlight.removeFirst()
            log.persisted(upTo: record.sequence)
            if let index = record.snapshotIndex {
                log.snapshotPersisted(index)
            }
            for message in record.messages {
                deliver(message)
            }
        }
        if role == .leader {
            leaderPersistedEntries()
        }
        return takeOutput()
    }

    // MARK: Output assembly

    /// Queues a message. Answers that report durable state wait for it.
    mutating func send(to: ReplicaID, ballot messageBallot: Ballot? = nil, _ body: MultiPaxosMessage.Body) {
        let message = MultiPaxosMessage(from: id, to: to, ballot: messageBallot ?? ballot, body: body)
        switch body {
        case .promise, .acceptResponse:
            if to != id { acceptorAnswers += 1 }
            if to != id && configuration.testingBugs.contains(.answerBeforeDurable) {
                outbox.messages.append(message)
            } else {
                messagesAfterPersist.append(message)
            }
        case .heartbeatResponse, .snapshotChunkResponse:
            messagesAfterPersist.append(message)
        default:
            deliver(message)
        }
    }

    mutating func deliver(_ message: MultiPaxosMessage) {
        if message.to == id {
            stepMessage(message)
        } else {
            outbox.messages.append(message)
        }
    }

    private var hasUnhandedState: Bool {
        promised != hardStateHandedOut.promised || log.hasDirtySlots || snapshotToPersist != nil
    }

    /// Applies what can be applied, releases what may leave, and hands out
    /// the next persist request.
    mutating func takeOutput() -> MultiPaxosOutput {
        while true {
            applyCommittedEntries()
            guard !hasUnhandedState, persistsInFlight.isEmpty, !messagesAfterPersist.isEmpty else { break }
            let released = messagesAfterPersist
            messagesAfterPersist = []
            for message in released { deliver(message) }
        }
        if hasUnhandedState {
            handOutPersistRequest()
        } else if !messagesAfterPersist.isEmpty {
            persistsInFlight[persistsInFlight.count - 1].messages.append(contentsOf: messagesAfterPersist)
            messagesAfterPersist = []
        }
        let current = MultiPaxosRoleState(role: role, leader: leader, ballot: promised)
        if current != reportedRole {
            reportedRole = current
            outbox.roleChange = current
        }
        let output = outbox
        outbox = MultiPaxosOutput()
        return output
    }

    private mutating func handOutPersistRequest() {
        lastPersistSequence += 1
        let entries = log.takeDirty(sequence: lastPersistSequence)
        var request = MultiPaxosPersistRequest(sequence: lastPersistSequence, snapshot: snapshotToPersist, entries: entries)
        let hardState = self.hardState
        if hardState != hardStateHandedOut {
            request.hardState = hardState
            hardStateHandedOut = hardState
        }
        persistsInFlight.append(
            PersistRecord(sequence: lastPersistSequence, snapshotIndex: snapshotToPersist?.index, messages: messagesAfterPersist))
        messagesAfterPersist = []
        snapshotToPersist = nil
        outbox.persist = request
    }

    private mutating func applyCommittedEntries() {
        outbox.committedEntries.append(contentsOf: log.takeCommitted(bytesMax: configuration.applyBytesPerOutputMax))
    }
}
