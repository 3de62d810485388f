@testable import ConcordTransactions

/// A synchronous shell for three-phase commit tests: records are durable at
/// once, messages wait in one queue, crashed peers lose their volatile state
/// and their mail, and a partition drops messages between its sides.
struct ThreePhaseCluster {
    static let coordinatorID: PeerID = 0
    let participantIDs: [PeerID]
    let settings: Transactions.ThreePhaseSettings
    var coordinator: Transactions.ThreePhaseCoordinator?
    var coordinatorLog: [Transactions.ThreePhaseCoordinatorRecord] = []
    var participants: [PeerID: Transactions.ThreePhaseParticipant] = [:]
    var participantLogs: [PeerID: [Transactions.ThreePhaseParticipantRecord]] = [:]
    var votes: [PeerID: Transactions.Vote] = [:]
    var queue: [(from: PeerID, envelope: Transactions.Envelope<Transactions.ThreePhaseMessage>)] = []
    var decisions: [PeerID: [Transactions.DecisionReport]] = [:]
    /// When set, a message is delivered only between peers of the same side.
    var sides: [[PeerID]]? = nil

    init(participants: Int = 3, settings: Transactions.ThreePhaseSettings = .init()) {
        participantIDs = Array(1...participants)
        self.settings = settings
        coordinator = Transactions.ThreePhaseCoordinator(id: Self.coordinatorID, settings: settings)
        for id in participantIDs {
            self.participants[id] = Transactions.ThreePhaseParticipant(id: id, settings: settings)
            participantLogs[id] = []
        }
    }

    mutating func begin(_ transaction: UInt64) throws {
        applyCoordinator(try coordinator!.begin(TransactionID(transaction), participants: participantIDs))
    }

    mutating func applyCoordinator(_ effects: Transactions.Effects<Transactions.ThreePhaseCoordinatorRecord, Transactions.ThreePhaseMessage>) {
        coordinatorLog += effects.records
        for envelope in effects.messages + effects.messagesAfterRecords { queue.append((Self.coordinatorID, envelope)) }
        decisions[Self.coordinatorID, default: []] += effects.decisions
    }

    mutating func applyParticipant(_ id: PeerID, _ effects: Transactions.Effects<Transactions.ThreePhaseParticipantRecord, Transactions.ThreePhaseMessage>) {
        participantLogs[id, default: []] += effects.records
        for envelope in effects.messages + effects.messagesAfterRecords { queue.append((id, envelope)) }
        decisions[id, default: []] += effects.decisions
    }

    func connected(_ a: PeerID, _ b: PeerID) -> Bool {
        guard let sides else { return true }
        return sides.contains { $0.contains(a) && $0.contains(b) }
    }

    /// Delivers the first queued message; returns it.
    @discardableResult
    mutating func deliverNext() -> Transactions.ThreePhaseMessage? {
        guard !queue.isEmpty else { return nil }
        let (from, envelope) = queue.removeFirst()
        guard connected(from, envelope.to) else { return envelope.message }
        if envelope.to == Self.coordinatorID {
            if coordinator != nil { applyCoordinator(coordinator!.onMessage(envelope.message, from: from)) }
        } else if participants[envelope.to] != nil {
            applyParticipant(envelope.to, participants[envelope.to]!.onMessage(envelope.message, from: from,
                                                                                localVote: votes[envelope.to] ?? .yes))
        }
        return envelope.message
    }

    mutating func deliverAll() {
        var steps = 0
        while deliverNext() != nil {
            steps += 1
            precondition(steps < 10_000, "messages kept flowing")
        }
    }

    /// Delivers messages while `condition` holds for the next one.
    mutating func deliver(while condition: (PeerID, Transactions.Envelope<Transactions.ThreePhaseMessage>) -> Bool) {
        while let next = queue.first, condition(next.from, next.envelope) { deliverNext() }
    }

    /// Delivers every queued message, and those they cause, except the ones
    /// `lost` selects, which are dropped.
    mutating func deliverAll(losing lost: (PeerID, Transactions.Envelope<Transactions.ThreePhaseMessage>) -> Bool) {
        while let next = queue.first {
            if lost(next.from, next.envelope) { queue.removeFirst() } else { deliverNext() }
        }
    }

    mutating func tick(_ count: Int = 1) {
        for _ in 0..<count {
            if coordinator != nil { applyCoordinator(coordinator!.onTick()) }
            for id in participantIDs where participants[id] != nil {
                applyParticipant(id, participants[id]!.onTick())
            }
            deliverAll()
        }
    }

    mutating func crash(_ id: PeerID) {
        if id == Self.coordinatorID { coordinator = nil } else { participants[id] = nil }
        queue.removeAll { $0.envelope.to == id || $0.from == id }
    }

    mutating func restart(_ id: PeerID) {
        if id == Self.coordinatorID {
            coordinator = Transactions.ThreePhaseCoordinator(id: id, settings: settings, log: coordinatorLog)
        } else {
            participants[id] = Transactions.ThreePhaseParticipant(id: id, settings: settings, log: participantLogs[id]!)
        }
    }

    func decision(of transaction: UInt64, at id: PeerID) -> Transactions.Decision? {
        decisions[id, default: []].first { $0.transaction == TransactionID(transaction) }?.decision
    }

    /// Every decision any peer reported for the transaction.
    func allDecisions(of transaction: UInt64) -> Set<Transactions.Decision> {
        Set(decisions.values.flatMap { $0 }.filter { $0.transaction == TransactionID(transaction) }.map(\.decision))
    }
}
