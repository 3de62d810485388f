import DequeModule

/// One replica of a Raft group: the whole consensus protocol as a value that
/// changes only through its inputs and reports everything it wants done in
/// a `RaftOutput` (Ongaro and Ousterhout, "In Search of an Understandable
/// Consensus Algorithm", and Ongaro's thesis "Consensus: Bridging Theory and
/// Practice"; the structure follows etcd-io/raft).
///
/// Inputs: `step(_:)` for a message from a peer, `tick()` for the passing of
/// time, `propose(_:)` and `proposeConfigurationChange(_:)` for client
/// requests, `readIndex(context:)` for linearizable reads,
/// `transferLeadership(to:)`, `compact(upTo:snapshotData:)` when the
/// application took a snapshot, and `onPersisted(upTo:)` when a durable
/// write completed. Every input returns a `RaftOutput`; its documentation
/// states the ordering contract a driver must keep.
///
/// The node performs no I/O, reads no clock and draws randomness only from
/// the generator it is given.
public struct RaftNode: Sendable {
    /// The settings.
    public let configuration: RaftConfiguration
    /// This replica's id.
    public var id: MemberID { configuration.id }
    /// The current term (Raft Figure 2).
    public internal(set) var term: UInt64
    /// The candidate voted for in the current term.
    public internal(set) var vote: MemberID?
    /// The role.
    public internal(set) var role: RaftRole = .follower
    /// The leader this replica knows of in the current term.
    public internal(set) var leader: MemberID?
    /// The membership in force: the latest applied configuration.
    public internal(set) var membership: ConfigurationState
    /// The leader's view of every replica's log (kept by every role, used by the leader).
    public internal(set) var progress: [MemberID: Progress] = [:]
    /// The target of the leadership transfer under way, if any.
    public internal(set) var leadTransferee: MemberID?

    var log: RaftLog
    var quorum: JointQuorum
    var votes: [MemberID: Bool] = [:]
    /// True while campaigning because a leader handed over (thesis §3.10).
    var isLeadershipTransferElection = false
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var random: any RandomNumberGenerator & Sendable
    /// Ticks since the node started; the leader's lease is measured in these.
    var tickCount: UInt64 = 0
    /// True until the node first hears a leader or an election timeout passes
    /// after a restart: while lease reads are enabled, a restarted replica
    /// honours the lease it may have promised before the crash.
    var honoursLeaseAfterRestart: Bool
    /// The index of the latest configuration change the leader appended.
    var pendingConfigurationIndex: UInt64 = 0
    var uncommittedBytes = 0
    /// The latest snapshot (the application's, or one installed from the
    /// leader); its bytes only while `snapshotFiles` cannot serve them.
    var snapshot: LatestSnapshot
    /// A snapshot being received in chunks.
    var incomingSnapshot: IncomingSnapshot?
    /// The driver's snapshot files; nil keeps snapshots in memory.
    let snapshotFiles: (any SnapshotFiles)?
    /// The chunk of the latest snapshot last sent to each follower in
    /// snapshot state: only the answer to that chunk moves its transfer on.
    var snapshotChunksOut: [MemberID: SnapshotChunkOut] = [:]
    var readRound: UInt64 = 0
    var pendingReads: Deque<PendingRead> = []
    var readsAwaitingCommitInTerm: [(from: MemberID, context: UInt64)] = []
    /// Set once a TimeoutNow is sent: the target may be elected without
    /// respecting the lease, so the lease is void for the rest of the term.
    var leaseInvalidated = false

    // Output assembly.
    var outbox = RaftOutput()
    var messagesAfterPersist: [RaftMessage] = []
    var hardStateHandedOut: HardState
    var snapshotToPersist: RaftSnapshot?
    var lastPersistSequence: UInt64 = 0
    var persistsInFlight: Deque<PersistRecord> = []
    var reportedRole: RoleState

    /// A persist request handed out and not yet reported durable.
    struct PersistRecord: Sendable {
        var sequence: UInt64
        var lastIndex: UInt64
        var lastTerm: UInt64
        var snapshotIndex: UInt64?
        var messages: [RaftMessage]
    }

    /// A ReadIndex request waiting for a quorum to confirm the leadership.
    struct PendingRead: Sendable {
        var index: UInt64
        var context: UInt64
        var from: MemberID
        var round: UInt64
    }

    /// Creates a replica from its durable state: `RaftDurableState.bootstrap`
    /// for a replica of a new group, or what its storage loaded after a
    /// restart. The application restores its state machine from
    /// `durable.snapshot` itself; the node then hands out the committed
    /// entries that follow it.
    ///
    /// - Parameters:
    ///   - configuration: The settings; `configuration.problems` must be empty.
    ///   - durable: The durable state to start from.
    ///   - random: The only source of randomness (election timeouts).
    ///   - snapshotFiles: Where the durable snapshot's chunks are read and a
    ///     received snapshot's chunks are stored; nil to keep the latest
    ///     snapshot's bytes in the node. With them, `durable.snapshot` must
    ///     be the snapshot they hold, and the node keeps none of its bytes.
    public init(
        configuration: RaftConfiguration,
        restoring durable: RaftDurableState,
        random: some RandomNumberGenerator & Sendable,
        snapshotFiles: (any SnapshotFiles)? = nil
    ) {
        precondition(configuration.problems.isEmpty, "invalid Raft configuration: \(configuration.problems)")
        self.configuration = configuration
        self.term = durable.hardState.term
        self.vote = durable.hardState.vote
        self.log = RaftLog(restoring: durable, toleratesViolations: !configuration.testingBugs.isEmpty)
        self.snapshotFiles = snapshotFiles
        self.snapshot = LatestSnapshot(
            metadata: durable.snapshot.metadata, size: durable.snapshot.data.count,
            data: snapshotFiles == nil ? durable.snapshot.data : nil)
        self.membership = durable.snapshot.metadata.configuration
        self.quorum = JointQuorum(incoming: membership.voters, outgoing: membership.votersOutgoing)
        self.random = random
        self.hardStateHandedOut = durable.hardState
        // A replica that never saw a term after the bootstrap term 1
        // promised nobody a lease.
        self.honoursLeaseAfterRestart = configuration.leaseReadsEnabled && durable.hardState.term > 1
        self.reportedRole = RoleState(role: .follower, leader: nil, term: durable.hardState.term)
        resetProgress()
        resetRandomizedElectionTimeout()
    }

    // MARK: Read-only views

    /// The hard state as it stands (not necessarily durable yet).
    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    /// The highest index known committed.
    public var commitIndex: UInt64 { log.committed }
    /// The highest index handed to the application.
    public var appliedIndex: UInt64 { log.applied }
    /// The index of the last entry of the log.
    public var lastIndex: UInt64 { log.lastIndex }
    /// The term of the last entry of the log.
    public var lastTerm: UInt64 { log.lastTerm }
    /// The highest index durable on this replica.
    public var persistedIndex: UInt64 { log.persisted }
    /// The index of the latest snapshot.
    public var snapshotIndex: UInt64 { log.snapshotIndex }
    /// The entry at `index`, if the log holds it.
    public func entry(at index: UInt64) -> LogEntry? { log.entry(at: index) }
    /// The bytes of snapshots the node holds in memory: its latest
    /// snapshot's until they are durable (always, without `SnapshotFiles`)
    /// and a received snapshot's while it gathers the chunks itself.
    public var heldSnapshotBytes: Int { (snapshot.data?.count ?? 0) + (incomingSnapshot?.data?.count ?? 0) }
    /// Invariant violations tolerated because a test-only bug is on.
    public var toleratedViolations: [String] { log.violations }
    /// True when this replica may campaign: it is a voter of the configuration.
    public var isPromotable: Bool { quorum.voters.contains(id) }

    // MARK: Inputs

    /// Handles a message from a peer.
    public mutating func step(_ message: RaftMessage) -> RaftOutput {
        if message.to == id {
            stepMessage(message)
        }
        return takeOutput()
    }

    /// Advances time by one tick.
    public mutating func tick() -> RaftOutput {
        tickCount += 1
        if role == .leader {
            tickHeartbeat()
        } else {
            tickElection()
        }
        return takeOutput()
    }

    /// Starts an election now, as if the election timeout had passed (with a
    /// pre-vote first when configured). Ignored unless this replica is a
    /// voter that does not lead.
    public mutating func campaign() -> RaftOutput {
        if role != .leader {
            campaign(configuration.preVote ? .preElection : .election)
        }
        return takeOutput()
    }

    /// Proposes an application command.
    /// - Throws: `RaftRequestError` when refused (nothing changes then).
    public mutating func propose(_ data: [UInt8]) throws(RaftRequestError) -> RaftOutput {
        try propose(batch: [ProposedEntry(data: data)])
    }

    /// Proposes several entries at once, which travel together.
    /// - Throws: `RaftRequestError` when refused (nothing changes then).
    public mutating func propose(batch: [ProposedEntry]) throws(RaftRequestError) -> RaftOutput {
        guard !batch.isEmpty else { throw .emptyProposal }
        if role == .leader {
            try appendProposals(batch)
        } else {
            try forwardProposals(batch)
        }
        return takeOutput()
    }

    /// Proposes a membership change (thesis §4.3).
    /// - Throws: `RaftRequestError` when refused (nothing changes then).
    public mutating func proposeConfigurationChange(_ change: ConfigurationChange) throws(RaftRequestError) -> RaftOutput {
        try propose(batch: [ProposedEntry(kind: .configurationChange, data: change.encoded())])
    }

    /// Asks for a linearizable read (thesis §6.4): a `ReadState` with this
    /// `context` appears in a later output.
    /// - Throws: `RaftRequestError.notLeader` when no leader is known.
    public mutating func readIndex(context: UInt64) throws(RaftRequestError) -> RaftOutput {
        if role == .leader {
            handleReadIndex(from: id, context: context)
        } else if let leader {
            send(to: leader, term: 0, .readIndexRequest(context: context))
        } else {
            throw .notLeader(leaderHint: nil)
        }
        return takeOutput()
    }

    /// Asks the leader to hand leadership to `target` (thesis §3.10).
    /// - Throws: `RaftRequestError` when this replica does not lead or the
    ///   target is not a voter.
    public mutating func transferLeadership(to target: MemberID) throws(RaftRequestError) -> RaftOutput {
        guard role == .leader else { throw .notLeader(leaderHint: leader) }
        guard target == id || (quorum.voters.contains(target) && progress[target] != nil) else {
            throw .invalidTransferTarget(target)
        }
        startLeadershipTransfer(to: target)
        return takeOutput()
    }

    /// Records that the application took a snapshot of its state machine
    /// after applying every entry up to `index`, and discards those entries
    /// (Raft §7). The snapshot may be of an index before the applied one
    /// (an application that encodes its state in the background hands it
    /// over later); the configuration recorded with it is the one in force
    /// now, so such a caller must make sure no configuration change was
    /// applied after `index`. An index at or before the latest snapshot
    /// changes nothing.
    /// - Throws: `RaftRequestError.snapshotIndexNotApplied` when `index` is
    ///   past the applied index.
    public mutating func compact(upTo index: UInt64, snapshotData: [UInt8]) throws(RaftRequestError) -> RaftOutput {
        guard index <= log.applied else { throw .snapshotIndexNotApplied(requested: index, applied: log.applied) }
        if index > log.snapshotIndex {
            let metadata = SnapshotMetadata(index: index, term: log.term(at: index)!, configuration: membership)
            snapshot = LatestSnapshot(metadata: metadata, size: snapshotData.count, data: snapshotData)
            snapshotToPersist = RaftSnapshot(metadata: metadata, data: snapshotData)
            log.compact(upTo: index)
        }
        return takeOutput()
    }

    /// Reports that the persist request `sequence`, and every earlier one,
    /// is durable. Releases the messages that waited for it.
    public mutating func onPersisted(upTo sequence: UInt64) -> RaftOutput {
        while let record = persistsInFlight.first, record.sequence <= sequence {
            persistsInFlight.removeFirst()
            if let snapshotIndex = record.snapshotIndex {
                log.snapshotPersisted(snapshotIndex)
                if snapshotFiles != nil && snapshotIndex == snapshot.metadata.index {
                    // Durable: the leader reads its chunks from the files now.
                    snapshot.data = nil
                }
            }
            log.persisted(upTo: record.lastIndex, term: record.lastTerm)
            for message in record.messages {
                if message.to == id {
                    stepMessage(message)
                } else {
                    outbox.messages.append(message)
                }
            }
        }
        if role == .leader {
            leaderPersistedEntries()
        }
        return takeOutput()
    }

    // MARK: Output assembly

    /// Queues a message. Answers that promise durable state wait for it.
    mutating func send(to: MemberID, term messageTerm: UInt64? = nil, _ body: RaftMessage.Body) {
        let message = RaftMessage(from: id, to: to, term: messageTerm ?? term, body: body)
        switch body {
        case .voteResponse where to != id && configuration.testingBugs.contains(.voteBeforeDurable):
            outbox.messages.append(message)
        case .appendResponse, .voteResponse:
            messagesAfterPersist.append(message)
        default:
            outbox.messages.append(message)
        }
    }

    private var hasUnhandedState: Bool {
        HardState(term: term, vote: vote, commit: hardStateHandedOut.commit) != hardStateHandedOut
            || log.unpersistedFrom <= log.lastIndex || snapshotToPersist != nil
    }

    /// Applies what can be applied, releases what may leave, and hands out
    /// the next persist request.
    mutating func takeOutput() -> RaftOutput {
        while true {
            applyCommittedEntries()
            // Messages that wait for durability may leave at once when
            // nothing is pending; messages to this replica are stepped.
            guard !hasUnhandedState, persistsInFlight.isEmpty, !messagesAfterPersist.isEmpty else { break }
            let released = messagesAfterPersist
            messagesAfterPersist = []
            for message in released {
                if message.to == id { stepMessage(message) } else { outbox.messages.append(message) }
            }
        }
        if hasUnhandedState {
            handOutPersistRequest()
        } else if !messagesAfterPersist.isEmpty {
            persistsInFlight[persistsInFlight.count - 1].messages.append(contentsOf: messagesAfterPersist)
            messagesAfterPersist = []
        }
        let current = RoleState(role: role, leader: leader, term: term)
        if current != reportedRole {
            reportedRole = current
            outbox.roleChange = current
        }
        let output = outbox
        outbox = RaftOutput()
        return output
    }

    private mutating func handOutPersistRequest() {
        lastPersistSequence += 1
        let entries = Array(log.takeUnpersisted())
        let hardState = self.hardState
        var request = PersistRequest(sequence: lastPersistSequence, snapshot: snapshotToPersist, entries: entries)
        if hardState != hardStateHandedOut {
            request.hardState = hardState
            hardStateHandedOut = hardState
        }
        let last = entries.last
        persistsInFlight.append(
            PersistRecord(
                sequence: lastPersistSequence,
                lastIndex: last?.index ?? 0,
                lastTerm: last?.term ?? 0,
                snapshotIndex: snapshotToPersist?.metadata.index,
                messages: messagesAfterPersist))
        messagesAfterPersist = []
        snapshotToPersist = nil
        outbox.persist = request
    }

    /// Hands committed, durable entries to the application and applies
    /// configuration changes among them.
    private mutating func applyCommittedEntries() {
        let limit = configuration.testingBugs.contains(.applyBeforeCommit) ? log.lastIndex : log.committed
        let entries = log.takeCommittedEntries(upTo: limit, bytesMax: configuration.applyBytesPerOutputMax)
        for entry in entries where entry.kind == .configurationChange {
            applyConfigurationChange(entry)
        }
        outbox.committedEntries.append(contentsOf: entries)
        if role == .leader {
            maybeLeaveJointConfiguration()
        }
    }
}
