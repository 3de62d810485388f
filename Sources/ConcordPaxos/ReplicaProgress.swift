/// A Multi-Paxos leader's view of one acceptor: how far it agrees with the
/// leader's log, what to send next, and how (one probe at a time, pipelined
/// up to a window, or a snapshot).
public struct ReplicaProgress: Sendable, Hashable {
    /// How the leader sends to the acceptor.
    public enum State: Sendable, Hashable {
        /// One accept at a time until the acceptor answers.
        case probe
        /// Accepts pipelined up to the window.
        case replicate
        /// A snapshot is being sent; accepts wait.
        case snapshot
    }

    /// The highest slot up to which the acceptor agrees with the leader
    /// (chosen values or this ballot's proposals), durably.
    public private(set) var match: UInt64 = 0
    /// The next slot to send. Invariant: `match < next`.
    public private(set) var next: UInt64
    /// How the leader sends.
    public private(set) var state: State = .probe
    /// In the probe state: an accept was sent and the leader waits.
    public private(set) var probeSent = false
    /// The snapshot being sent, in the snapshot state.
    public private(set) var pendingSnapshot: UInt64 = 0
    /// The accepts in flight, in the replicate state.
    public private(set) var window: AcceptWindow
    /// True when the acceptor answered since the last check-quorum round.
    public var recentActive = false
    /// The leader tick of the newest heartbeat the acceptor answered.
    public var leaseAcknowledgedTick: UInt64 = 0
    /// The newest read round the acceptor answered.
    public var readRoundAcknowledged: UInt64 = 0

    /// The progress of an acceptor the leader knows only this of: it holds
    /// every slot before `next`.
    public init(next: UInt64, windowMessagesMax: Int) {
        self.next = max(next, 1)
        window = AcceptWindow(messagesMax: windowMessagesMax)
    }

    /// True when the leader must not send accepts now.
    public var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: window.isFull
        case .snapshot: true
        }
    }

    /// Probes from the slot after the match.
    public mutating func becomeProbe() {
        let pending = state == .snapshot ? pendingSnapshot : 0
        state = .probe
        probeSent = false
        pendingSnapshot = 0
        window.reset()
        next = max(match + 1, pending + 1)
    }

    /// Pipelines from the slot after the match.
    public mutating func becomeReplicate() {
        state = .replicate
        probeSent = false
        window.reset()
        next = match + 1
    }

    /// Sends a snapshot at `index`.
    public mutating func becomeSnapshot(_ index: UInt64) {
        state = .snapshot
        probeSent = false
        pendingSnapshot = index
        window.reset()
    }

    /// Records that the acceptor agrees up to `slot`. Returns true when the
    /// match grew.
    @discardableResult
    public mutating func update(agreedThrough slot: UInt64) -> Bool {
        next = max(next, slot + 1)
        guard slot > match else { return false }
        match = slot
        probeSent = false
        return true
    }

    /// Records that an accept carrying `count` slots up to `lastSlot` was sent.
    public mutating func sentAccept(count: Int, lastSlot: UInt64) {
        switch state {
        case .replicate:
            if count > 0 {
                next = lastSlot + 1
                window.add(lastSlot: lastSlot)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("an accept was sent to an acceptor receiving a snapshot")
        }
    }

    /// Frees the window up to `slot`.
    public mutating func acknowledge(upTo slot: UInt64) {
        window.free(upTo: slot)
    }

    /// A heartbeat answer arrived: the probe state may send again, and a full
    /// window frees its oldest message, so that replication resumes when
    /// accepts or their answers were lost.
    public mutating func heartbeatAnswered() {
        probeSent = false
        if state == .replicate && window.isFull { window.freeOldest() }
    }
}
