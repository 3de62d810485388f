import ConcordTransactions

/// What the simulation adapter needs of an atomic commitment protocol, so
/// that two-phase and three-phase commit share one adapter and one sweep.
protocol AtomicCommitProtocol {
    associatedtype Message: Hashable & Sendable & CustomStringConvertible
    associatedtype CoordinatorRecord: Hashable & Sendable
    associatedtype ParticipantRecord: Hashable & Sendable
    associatedtype Coordinator: Sendable
    associatedtype Participant: Sendable

    static func coordinator(id: Transactions.PeerID, log: [CoordinatorRecord]) -> Coordinator
    static func participant(id: Transactions.PeerID, log: [ParticipantRecord]) -> Participant
    static func begin(_ coordinator: inout Coordinator, _ transaction: Transactions.TransactionID,
                      participants: [Transactions.PeerID]) -> Transactions.Effects<CoordinatorRecord, Message>
    static func onMessage(_ coordinator: inout Coordinator, _ message: Message,
                          from sender: Transactions.PeerID) -> Transactions.Effects<CoordinatorRecord, Message>
    static func onTick(_ coordinator: inout Coordinator) -> Transactions.Effects<CoordinatorRecord, Message>
    static func onMessage(_ participant: inout Participant, _ message: Message, from sender: Transactions.PeerID,
                          localVote: Transactions.Vote) -> Transactions.Effects<ParticipantRecord, Message>
    static func onTick(_ participant: inout Participant) -> Transactions.Effects<ParticipantRecord, Message>
    /// Transactions the participant voted yes on and has not decided.
    static func undecided(_ participant: Participant) -> [Transactions.TransactionID]
    /// The decisions a durable log holds.
    static func decisions(in log: [CoordinatorRecord]) -> [Transactions.DecisionReport]
    static func decisions(in log: [ParticipantRecord]) -> [Transactions.DecisionReport]
    /// Test-only bug: the log a participant that forgets its yes votes restarts from.
    static func forgettingYesVotes(_ log: [ParticipantRecord]) -> [ParticipantRecord]
}

/// Two-phase commit, for the adapter.
enum TwoPhaseCommit: AtomicCommitProtocol {
    typealias Message = Transactions.TwoPhaseMessage
    typealias CoordinatorRecord = Transactions.TwoPhaseCoordinatorRecord
    typealias ParticipantRecord = Transactions.TwoPhaseParticipantRecord
    typealias Coordinator = Transactions.TwoPhaseCoordinator
    typealias Participant = Transactions.TwoPhaseParticipant

    static func coordinator(id: Int, log: [CoordinatorRecord]) -> Coordinator { .init(id: id, log: log) }
    static func participant(id: Int, log: [ParticipantRecord]) -> Participant { .init(id: id, log: log) }

    static func begin(_ coordinator: inout Coordinator, _ transaction: Transactions.TransactionID,
                      participants: [Int]) -> Transactions.Effects<CoordinatorRecord, Message> {
        // The client never repeats an identifier and lists valid participants.
        (try? coordinator.begin(transaction, participants: participants)) ?? .init()
    }

    static func onMessage(_ coordinator: inout Coordinator, _ message: Message, from sender: Int) -> Transactions.Effects<CoordinatorRecord, Message> {
        coordinator.onMessage(message, from: sender)
    }

    static func onTick(_ coordinator: inout Coordinator) -> Transactions.Effects<CoordinatorRecord, Message> {
        coordinator.onTick()
    }

    static func onMessage(_ participant: inout Participant, _ message: Message, from sender: Int,
                          localVote: Transactions.Vote) -> Transactions.Effects<ParticipantRecord, Message> {
        participant.onMessage(message, from: sender, localVote: localVote)
    }

    static func onTick(_ participant: inout Participant) -> Transactions.Effects<ParticipantRecord, Message> {
        participant.onTick()
    }

    static func undecided(_ participant: Participant) -> [Transactions.TransactionID] {
        participant.uncertainTransactions
    }

    static func decisions(in log: [CoordinatorRecord]) -> [Transactions.DecisionReport] {
        log.compactMap { record in
            if case .commit(let transaction, _) = record { return .init(transaction: transaction, decision: .commit) }
            return nil
        }
    }

    static func decisions(in log: [ParticipantRecord]) -> [Transactions.DecisionReport] {
        log.compactMap { record in
            switch record {
            case .committed(let transaction): .init(transaction: transaction, decision: .commit)
            case .aborted(let transaction): .init(transaction: transaction, decision: .abort)
            case .prepared: nil
            }
        }
    }

    static func forgettingYesVotes(_ log: [ParticipantRecord]) -> [ParticipantRecord] {
        log.filter { if case .prepared = $0 { return false } else { return true } }
    }
}

/// Three-phase commit, for the adapter.
enum ThreePhaseCommit: AtomicCommitProtocol {
    typealias Message = Transactions.ThreePhaseMessage
    typealias CoordinatorRecord = Transactions.ThreePhaseCoordinatorRecord
    typealias ParticipantRecord = Transactions.ThreePhaseParticipantRecord
    typealias Coordinator = Transactions.ThreePhaseCoordinator
    typealias Participant = Transactions.ThreePhaseParticipant

    static func coordinator(id: Int, log: [CoordinatorRecord]) -> Coordinator { .init(id: id, log: log) }
    static func participant(id: Int, log: [ParticipantRecord]) -> Participant { .init(id: id, log: log) }

    static func begin(_ coordinator: inout Coordinator, _ transaction: Transactions.TransactionID,
                      participants: [Int]) -> Transactions.Effects<CoordinatorRecord, Message> {
        (try? coordinator.begin(transaction, participants: participants)) ?? .init()
    }

    static func onMessage(_ coordinator: inout Coordinator, _ message: Message, from sender: Int) -> Transactions.Effects<CoordinatorRecord, Message> {
        coordinator.onMessage(message, from: sender)
    }

    static func onTick(_ coordinator: inout Coordinator) -> Transactions.Effects<CoordinatorRecord, Message> {
        coordinator.onTick()
    }

    static func onMessage(_ participant: inout Participant, _ message: Message, from sender: Int,
                          localVote: Transactions.Vote) -> Transactions.Effects<ParticipantRecord, Message> {
        participant.onMessage(message, from: sender, localVote: localVote)
    }

    static func onTick(_ participant: inout Participant) -> Transactions.Effects<ParticipantRecord, Message> {
        participant.onTick()
    }

    static func undecided(_ participant: Participant) -> [Transactions.TransactionID] {
        participant.undecidedTransactions
    }

    static func decisions(in log: [CoordinatorRecord]) -> [Transactions.DecisionReport] {
        log.compactMap { record in
            if case .decided(let transaction, let decision) = record { return .init(transaction: transaction, decision: decision) }
            return nil
        }
    }

    static func decisions(in log: [ParticipantRecord]) -> [Transactions.DecisionReport] {
        log.compactMap { record in
            if case .decided(let transaction, let decision) = record { return .init(transaction: transaction, decision: decision) }
            return nil
        }
    }

    static func forgettingYesVotes(_ log: [ParticipantRecord]) -> [ParticipantRecord] {
        log.filter { if case .votedYes = $0 { return false } else { return true } }
    }
}
