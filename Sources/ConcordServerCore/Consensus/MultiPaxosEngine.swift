import ConcordFoundation
import ConcordPaxos
import ConcordRaft

/// Multi-Paxos as a `ConsensusEngine`: `MultiPaxosNode` with its shapes
/// mapped onto the write-ahead log's and the server's.
///
/// The mapping (docs/paxos.md, "Durable state in Concord's write-ahead log"):
/// - **Replicas.** The group is the voters of the durable snapshot's
///   configuration, fixed for the group's life. A ballot holds a 16-bit
///   replica, so replica `r` is the `r`-th member id in ascending order;
///   everything this engine hands out or takes in names members by their
///   64-bit ids, and the mapping happens here.
/// - **Hard state.** The promise is the term (`Ballot.rawValue`, ordered as
///   ballots are); the vote is nil; the commit index is the commit index.
/// - **Slots.** Slot `s` holding `(ballot, kind, data)` is
///   `LogEntry(index: s, term: ballot.rawValue, data: storedData)`, where
///   `storedData` is the kind byte then the command; a persist request
///   rewrites every slot from the lowest one changed, so the store's
///   "replace from the first index" rule keeps the log contiguous.
/// - **Snapshots.** A snapshot gets as its term the ballot the store holds
///   at its index when it saves the snapshot (what the persist requests
///   handed out before it wrote there), so the store keeps the slots after
///   it (an acceptor never forgets an accepted slot); its configuration is
///   the fixed group.
/// - **Committed entries** are the chosen commands as normal entries with
///   term 0 (a chosen value is stored under different ballots on different
///   replicas; its ballot says nothing about the value). No-ops and vacant
///   slots are empty entries, which the server core skips.
///
/// Membership changes are refused: Multi-Paxos here has no reconfiguration.
public struct MultiPaxosEngine: ConsensusEngine {
    /// The Multi-Paxos node.
    public private(set) var node: MultiPaxosNode
    /// The group's member ids, ascending: replica `r` is `members[r - 1]`.
    public let members: [UInt64]
    /// The fixed configuration: every member votes.
    public let membership: ConfigurationState
    /// The ballot the slot at a snapshot's index held before the snapshot
    /// replaced it, for the snapshot's term when the store holds no slot
    /// there.
    private var snapshotTerms: [UInt64: UInt64] = [:]
    /// The store as the persist requests handed out so far leave it: its
    /// snapshot index and the term of every slot after it, from
    /// `storedTermsFirst` on.
    ///
    /// Invariant: a persist request's snapshot carries the term the store
    /// holds at the snapshot's index when it saves the snapshot, whenever it
    /// holds that slot. Taking the node's newest ballot instead would make
    /// the store discard its whole log when that ballot is not yet durable
    /// (a slot re-accepted in a new ballot, or a snapshot installed from the
    /// leader over accepted slots), and a crash before the same request's
    /// entries were written again would forget accepted slots.
    private var storedSnapshotIndex: UInt64
    private var storedTermsFirst: UInt64
    private var storedTerms: [UInt64]

    /// Why a durable state cannot be opened by this engine.
    public enum OpeningError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The durable snapshot names no replicas, or more than a ballot holds.
        case unsupportedGroup(String)
        /// A stored slot does not decode.
        case corruptSlot(index: UInt64, reason: String)

        public var description: String {
            switch self {
            case .unsupportedGroup(let reason): reason
            case .corruptSlot(let index, let reason): "slot \(index): \(reason)"
            }
        }
    }

    /// Opens the node of member `memberID` from the write-ahead log's durable state.
    /// - Parameters:
    ///   - settings: the node's settings; `id` and `replicas` are replaced
    ///     by the mapped ones.
    ///   - memberID: this member's id; one of the snapshot's voters.
    ///   - durable: what the write-ahead log holds.
    ///   - random: the only source of randomness.
    /// - Throws: `OpeningError` for a group this engine cannot run or a
    ///   slot that does not decode.
    public init(
        settings: MultiPaxosConfiguration, memberID: UInt64, restoring durable: RaftDurableState,
        random: some RandomNumberGenerator & Sendable
    ) throws(OpeningError) {
        let configuration = durable.snapshot.metadata.configuration
        let members = configuration.voters.sorted()
        guard !members.isEmpty, configuration.learners.isEmpty, !configuration.isJoint else {
            throw .unsupportedGroup("Multi-Paxos needs a fixed group of voters, found \(configuration)")
        }
        guard members.count <= Int(Ballot.replicaMax) else {
            throw .unsupportedGroup("Multi-Paxos holds at most \(Ballot.replicaMax) replicas")
        }
        guard let index = members.firstIndex(of: memberID) else {
            throw .unsupportedGroup("member \(memberID) is not a replica of the Multi-Paxos group \(members)")
        }
        var entries: [MultiPaxosLogEntry] = []
        entries.reserveCapacity(durable.entries.count)
        for entry in durable.entries {
            do throws(BinaryDecodingError) {
                entries.append(try MultiPaxosLogEntry(slot: entry.index, storedTerm: entry.term, storedData: entry.data))
            } catch {
                throw .corruptSlot(index: entry.index, reason: "\(error)")
            }
        }
        var nodeSettings = settings
        nodeSettings.id = ReplicaID(index + 1)
        nodeSettings.replicas = (1...members.count).map { ReplicaID($0) }
        let restored = MultiPaxosDurableState(
            hardState: MultiPaxosHardState(promised: Ballot(rawValue: durable.hardState.term), commit: durable.hardState.commit),
            snapshot: MultiPaxosSnapshot(index: durable.snapshot.metadata.index, data: durable.snapshot.data),
            entries: entries)
        self.members = members
        membership = ConfigurationState(voters: Set(members))
        storedSnapshotIndex = durable.snapshot.metadata.index
        storedTermsFirst = durable.entries.first?.index ?? durable.snapshot.metadata.index + 1
        storedTerms = durable.entries.map(\.term)
        node = MultiPaxosNode(configuration: nodeSettings, restoring: restored, random: random)
    }

    // MARK: Views

    public var changesMembers: Bool { false }
    public var term: UInt64 { node.promised.rawValue }
    public var vote: MemberID? { nil }
    public var role: RaftRole {
        switch node.role {
        case .follower: .follower
        case .candidate: .candidate
        case .leader: .leader
        }
    }
    public var leader: MemberID? { node.leader.flatMap(member) }
    public var commitIndex: UInt64 { node.commitIndex }
    public var appliedIndex: UInt64 { node.appliedIndex }
    public var lastIndex: UInt64 { node.lastIndex }
    public var snapshotIndex: UInt64 { node.snapshotIndex }
    public func replicatedIndex(of member: MemberID) -> UInt64? {
        guard node.role == .leader, let replica = replica(member) else { return nil }
        return replica == node.id ? node.persistedIndex : node.progress[replica]?.match
    }
    public func entry(at index: UInt64) -> LogEntry? { node.entry(at: index).map(Self.committed) }
    public var toleratedViolations: [String] { node.toleratedViolations }

    // MARK: Inputs

    public mutating func step(_ message: ConsensusMessage) -> ConsensusOutput {
        guard case .multiPaxos(let message) = message, let from = replica(message.from), let to = replica(message.to) else {
            return ConsensusOutput()
        }
        switch message.body {
        case .snapshotChunk(let chunk) where chunk.isLast: rememberSnapshotTerm(chunk.index)
        case .promise(let promise): if let snapshot = promise.snapshot { rememberSnapshotTerm(snapshot.index) }
        default: break
        }
        var translated = message
        translated.from = from
        translated.to = to
        return carried(node.step(translated))
    }

    public mutating func tick() -> ConsensusOutput { carried(node.tick()) }

    public mutating func campaign() -> ConsensusOutput { carried(node.campaign()) }

    public mutating func propose(batch: [[UInt8]]) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(MultiPaxosRequestError) {
            return carried(try node.propose(batch: batch))
        } catch {
            throw carried(error)
        }
    }

    public mutating func proposeConfigurationChange(_ change: ConfigurationChange) throws(ConsensusRequestError) -> ConsensusOutput {
        throw .membershipChangesUnsupported(engine: "Multi-Paxos")
    }

    public mutating func readIndex(context: UInt64) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(MultiPaxosRequestError) {
            return carried(try node.readIndex(context: context))
        } catch {
            throw carried(error)
        }
    }

    public mutating func transferLeadership(to target: MemberID) throws(ConsensusRequestError) -> ConsensusOutput {
        guard let replica = replica(target) else { throw .refused("\(MultiPaxosRequestError.invalidTransferTarget(target))") }
        do throws(MultiPaxosRequestError) {
            return carried(try node.transferLeadership(to: replica))
        } catch {
            throw carried(error)
        }
    }

    public mutating func compact(upTo index: UInt64, snapshotData: [UInt8]) throws(ConsensusRequestError) -> ConsensusOutput {
        rememberSnapshotTerm(index)
        do throws(MultiPaxosRequestError) {
            return carried(try node.compact(upTo: index, snapshotData: snapshotData))
        } catch {
            throw carried(error)
        }
    }

    public mutating func onPersisted(upTo sequence: UInt64) -> ConsensusOutput { carried(node.onPersisted(upTo: sequence)) }

    // MARK: Mapping

    /// The member id of replica `replica`.
    func member(_ replica: ReplicaID) -> UInt64? {
        replica >= 1 && replica <= UInt64(members.count) ? members[Int(replica - 1)] : nil
    }

    /// The replica id of member `member`.
    func replica(_ member: UInt64) -> ReplicaID? {
        members.firstIndex(of: member).map { ReplicaID($0 + 1) }
    }

    private mutating func rememberSnapshotTerm(_ index: UInt64) {
        if let slot = node.entry(at: index) { snapshotTerms[index] = slot.ballot.rawValue }
    }

    /// A slot as the write-ahead log stores it.
    static func stored(_ slot: MultiPaxosLogEntry) -> LogEntry {
        LogEntry(index: slot.slot, term: slot.ballot.rawValue, kind: .normal, data: slot.storedData)
    }

    /// A chosen slot as the server core applies it.
    static func committed(_ slot: MultiPaxosLogEntry) -> LogEntry {
        LogEntry(index: slot.slot, term: 0, kind: .normal, data: slot.kind == .command ? slot.data : [])
    }

    private mutating func carried(_ paxos: MultiPaxosOutput) -> ConsensusOutput {
        var output = ConsensusOutput()
        if let request = paxos.persist {
            var persist = PersistRequest(sequence: request.sequence, entries: request.entries.map(Self.stored))
            if let snapshot = request.snapshot {
                let term = storeSavesSnapshot(at: snapshot.index) ?? snapshotTerms[snapshot.index] ?? 0
                persist.snapshot = RaftSnapshot(
                    metadata: SnapshotMetadata(index: snapshot.index, term: term, configuration: membership), data: snapshot.data)
                snapshotTerms = [:]
            }
            storeAppends(persist.entries)
            if let hardState = request.hardState {
                persist.hardState = HardState(term: hardState.promised.rawValue, vote: nil, commit: hardState.commit)
            }
            output.persist = persist
        }
        output.messages.reserveCapacity(paxos.messages.count)
        for message in paxos.messages {
            guard let from = member(message.from), let to = member(message.to) else { continue }
            var translated = message
            translated.from = from
            translated.to = to
            output.messages.append(.multiPaxos(translated))
        }
        if let snapshot = paxos.snapshotToInstall {
            output.snapshotToInstall = RaftSnapshot(
                metadata: SnapshotMetadata(index: snapshot.index, term: 0, configuration: membership), data: snapshot.data)
        }
        output.committedEntries = paxos.committedEntries.map(Self.committed)
        output.readStates = paxos.readStates.map { ReadState(index: $0.index, context: $0.context) }
        if let change = paxos.roleChange {
            let role: RaftRole =
                switch change.role {
                case .follower: .follower
                case .candidate: .candidate
                case .leader: .leader
                }
            output.roleChange = RoleState(role: role, leader: change.leader.flatMap(member), term: change.ballot.rawValue)
        }
        return output
    }

    /// The term of the slot at `index` that the store holds once every
    /// persist request handed out so far is written, nil when it holds none.
    func storedTerm(at index: UInt64) -> UInt64? {
        guard index >= storedTermsFirst, index - storedTermsFirst < UInt64(storedTerms.count) else { return nil }
        return storedTerms[Int(index - storedTermsFirst)]
    }

    /// Follows the store saving a snapshot at `index` (`RaftLogStore`: the
    /// slots after it are kept when it holds the slot at `index` with the
    /// snapshot's term, else the log restarts after it).
    /// - Returns: The term that keeps the slots, nil when the store holds
    ///   no slot at `index`.
    private mutating func storeSavesSnapshot(at index: UInt64) -> UInt64? {
        guard index > storedSnapshotIndex else { return nil }
        let held = storedTerm(at: index)
        if held != nil {
            storedTerms.removeFirst(Int(index - storedTermsFirst + 1))
        } else {
            storedTerms = []
        }
        storedTermsFirst = index + 1
        storedSnapshotIndex = index
        return held
    }

    /// Follows the store appending `entries`: those at or below its
    /// snapshot are skipped, the others replace every slot from the first.
    private mutating func storeAppends(_ entries: [LogEntry]) {
        let fresh = entries.drop { $0.index <= storedSnapshotIndex }
        guard let first = fresh.first else { return }
        if storedTerms.isEmpty || first.index < storedTermsFirst || first.index > storedTermsFirst + UInt64(storedTerms.count) {
            storedTermsFirst = first.index
            storedTerms = []
        }
        let kept = min(Int(first.index - storedTermsFirst), storedTerms.count)
        storedTerms.removeSubrange(kept...)
        storedTerms.append(contentsOf: fresh.map(\.term))
    }

    private func carried(_ error: MultiPaxosRequestError) -> ConsensusRequestError {
        switch error {
        case .notLeader(let hint): .notLeader(leaderHint: hint.flatMap(member))
        case .leadershipTransferInProgress: .leadershipTransferInProgress
        default: .refused("\(error)")
        }
    }
}
