import ConcordSimulation
import ConcordTransactions

/// Holds back messages that may leave only after a node's log is durable,
/// and releases them when the simulator reports the write synced: the
/// shell's half of the ordering contract of `Transactions.Effects`.
struct PersistGate<Message: Hashable & Sendable>: Sendable {
    private var held: [(token: PersistToken, envelopes: [Transactions.Envelope<Message>])] = []
    private var lastToken: PersistToken?
    private var syncedThrough: PersistToken?

    /// True when some write has not been reported durable yet.
    var hasPendingWrite: Bool {
        guard let lastToken else { return false }
        return syncedThrough.map { $0 < lastToken } ?? true
    }

    /// Records a new write and the messages that wait for it.
    mutating func wrote(_ token: PersistToken, releasing envelopes: [Transactions.Envelope<Message>]) {
        lastToken = token
        if !envelopes.isEmpty { held.append((token, envelopes)) }
    }

    /// Messages that wait for no new record: they still wait for every
    /// earlier write. Returns those that may leave now.
    mutating func afterEarlierWrites(_ envelopes: [Transactions.Envelope<Message>]) -> [Transactions.Envelope<Message>] {
        guard !envelopes.isEmpty else { return [] }
        guard hasPendingWrite, let lastToken else { return envelopes }
        held.append((lastToken, envelopes))
        return []
    }

    /// The write `token` and every earlier one are durable: returns the
    /// messages released, in order.
    mutating func durable(_ token: PersistToken) -> [Transactions.Envelope<Message>] {
        syncedThrough = max(syncedThrough ?? token, token)
        var released: [Transactions.Envelope<Message>] = []
        while let first = held.first, first.token <= token {
            released += first.envelopes
            held.removeFirst()
        }
        return released
    }
}
