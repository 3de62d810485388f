@testable import ConcordTransactions

typealias TransactionID = Transactions.TransactionID
typealias PeerID = Transactions.PeerID

/// A tiny synchronous shell for two-phase commit tests: records are durable
/// as soon as they are returned, messages wait in one queue until delivered,
/// and a crashed peer loses its volatile state and every message sent to it.
struct TwoPhaseCluster {
    static let coordinatorID: PeerID = 0
    let participantIDs: [PeerID]
    var settings: Transactions.TwoPhaseSettings
    var coordinator: Transactions.TwoPhaseCoordinator?
    var coordinatorLog: [Transactions.TwoPhaseCoordinatorRecord] = []
    var participants: [PeerID: Transactions.TwoPhaseParticipant] = [:]
    var participantLogs: [PeerID: [Transactions.TwoPhaseParticipantRecord]] = [:]
    var votes: [PeerID: Transactions.Vote] = [:]
    var queue: [(from: PeerID, envelope: Transactions.Envelope<Transactions.TwoPhaseMessage>)] = []
    var decisions: [PeerID: [Transactions.DecisionReport]] = [:]
    var delivered: [Transactions.TwoPhaseMessage] = []

    init(participants: Int = 3, settings: Transactions.TwoPhaseSettings = .init()) {
        participantIDs = Array(1...participants)
        self.settings = settings
        coordinator = Transactions.TwoPhaseCoordinator(id: Self.coordinatorID, settings: settings)
        for id in participantIDs {
            self.participants[id] = Transactions.TwoPhaseParticipant(id: id, settings: settings)
            participantLogs[id] = []
        }
    }

    mutating func begin(_ transaction: UInt64) throws {
        let effects = try coordinator!.begin(TransactionID(transaction), participants: participantIDs)
        applyCoordinator(effects)
    }

    mutating func applyCoordinator(_ effects: Transactions.Effects<Transactions.TwoPhaseCoordinatorRecord, Transactions.TwoPhaseMessage>) {
        coordinatorLog += effects.records
        for envelope in effects.messages + effects.messagesAfterRecords {
            queue.append((Self.coordinatorID, envelope))
        }
        decisions[Self.coordinatorID, default: []] += effects.decisions
    }

    mutating func applyParticipant(_ id: PeerID, _ effects: Transactions.Effects<Transactions.TwoPhaseParticipantRecord, Transactions.TwoPhaseMessage>) {
        participantLogs[id, default: []] += effects.records
        for envelope in effects.messages + effects.messagesAfterRecords {
            queue.append((id, envelope))
        }
        decisions[id, default: []] += effects.decisions
    }

    /// Delivers queued messages, and those they cause, until none is left.
    mutating func deliverAll(limit: Int = 10_000) {
        var steps = 0
        while !queue.isEmpty {
            steps += 1
            precondition(steps <= limit, "messages kept flowing")
            let (from, envelope) = queue.removeFirst()
            deliver(envelope.message, from: from, to: envelope.to)
        }
    }

    mutating func deliver(_ message: Transactions.TwoPhaseMessage, from: PeerID, to: PeerID) {
        delivered.append(message)
        if to == Self.coordinatorID {
            guard coordinator != nil else { return }
            applyCoordinator(coordinator!.onMessage(message, from: from))
        } else if participants[to] != nil {
            let effects = participants[to]!.onMessage(message, from: from, localVote: votes[to] ?? .yes)
            applyParticipant(to, effects)
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

    /// Crashes a peer. With `losingUnsentMessages`, messages it queued but
    /// that had not left yet are lost too.
    mutating func crash(_ id: PeerID, losingUnsentMessages: Bool = false) {
        if losingUnsentMessages { queue.removeAll { $0.from == id } }
        if id == Self.coordinatorID { coordinator = nil } else { participants[id] = nil }
        queue.removeAll { $0.envelope.to == id }
    }

    mutating func restart(_ id: PeerID) {
        if id == Self.coordinatorID {
            coordinator = Transactions.TwoPhaseCoordinator(id: id, settings: settings, log: coordinatorLog)
        } else {
            participants[id] = Transactions.TwoPhaseParticipant(id: id, settings: settings, log: participantLogs[id]!)
        }
    }

    func decision(of transaction: UInt64, at id: PeerID) -> Transactions.Decision? {
        decisions[id, default: []].last { $0.transaction == TransactionID(transaction) }?.decision
    }
}
