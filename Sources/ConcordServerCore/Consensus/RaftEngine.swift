import ConcordRaft

/// Raft as a `ConsensusEngine`: `RaftNode` unchanged, its outputs and
/// refusals carried over one for one.
public struct RaftEngine: ConsensusEngine {
    /// The Raft node.
    public private(set) var node: RaftNode

    /// Opens the node from its durable state; see `RaftNode.init` for
    /// `snapshotFiles`.
    public init(
        configuration: RaftConfiguration, restoring durable: RaftDurableState, random: some RandomNumberGenerator & Sendable,
        snapshotFiles: (any SnapshotFiles)? = nil
    ) {
        node = RaftNode(configuration: configuration, restoring: durable, random: random, snapshotFiles: snapshotFiles)
    }

    // MARK: Views

    public var term: UInt64 { node.term }
    public var vote: MemberID? { node.vote }
    public var role: RaftRole { node.role }
    public var leader: MemberID? { node.leader }
    public var commitIndex: UInt64 { node.commitIndex }
    public var appliedIndex: UInt64 { node.appliedIndex }
    public var lastIndex: UInt64 { node.lastIndex }
    public var snapshotIndex: UInt64 { node.snapshotIndex }
    public var membership: ConfigurationState { node.membership }
    public var changesMembers: Bool { true }
    public func replicatedIndex(of member: MemberID) -> UInt64? { node.progress[member]?.match }
    public func entry(at index: UInt64) -> LogEntry? { node.entry(at: index) }
    public var toleratedViolations: [String] { node.toleratedViolations }

    // MARK: Inputs

    public mutating func step(_ message: ConsensusMessage) -> ConsensusOutput {
        guard case .raft(let message) = message else { return ConsensusOutput() }
        return Self.carried(node.step(message))
    }

    public mutating func tick() -> ConsensusOutput { Self.carried(node.tick()) }

    public mutating func campaign() -> ConsensusOutput { Self.carried(node.campaign()) }

    public mutating func propose(batch: [[UInt8]]) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(RaftRequestError) {
            return Self.carried(try node.propose(batch: batch.map { ProposedEntry(data: $0) }))
        } catch {
            throw Self.carried(error)
        }
    }

    public mutating func proposeConfigurationChange(_ change: ConfigurationChange) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(RaftRequestError) {
            return Self.carried(try node.proposeConfigurationChange(change))
        } catch {
            throw Self.carried(error)
        }
    }

    public mutating func readIndex(context: UInt64) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(RaftRequestError) {
            return Self.carried(try node.readIndex(context: context))
        } catch {
            throw Self.carried(error)
        }
    }

    public mutating func transferLeadership(to target: MemberID) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(RaftRequestError) {
            return Self.carried(try node.transferLeadership(to: target))
        } catch {
            throw Self.carried(error)
        }
    }

    public mutating func compact(upTo index: UInt64, snapshotData: [UInt8]) throws(ConsensusRequestError) -> ConsensusOutput {
        do throws(RaftRequestError) {
            return Self.carried(try node.compact(upTo: index, snapshotData: snapshotData))
        } catch {
            throw Self.carried(error)
        }
    }

    public mutating func onPersisted(upTo sequence: UInt64) -> ConsensusOutput { Self.carried(node.onPersisted(upTo: sequence)) }

    // MARK: Carrying Raft's shapes over

    static func carried(_ raft: RaftOutput) -> ConsensusOutput {
        var output = ConsensusOutput()
        output.persist = raft.persist
        output.messages = raft.messages.map(ConsensusMessage.raft)
        output.snapshotToInstall = raft.snapshotToInstall
        output.committedEntries = raft.committedEntries
        output.readStates = raft.readStates
        output.roleChange = raft.roleChange
        return output
    }

    static func carried(_ error: RaftRequestError) -> ConsensusRequestError {
        switch error {
        case .notLeader(let hint): .notLeader(leaderHint: hint)
        case .leadershipTransferInProgress: .leadershipTransferInProgress
        case .configurationChangePending: .configurationChangePending
        default: .refused("\(error)")
        }
    }
}
