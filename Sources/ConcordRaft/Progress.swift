/// The leader's view of one follower's log (Raft Figure 2's `nextIndex` and
/// `matchIndex`, with etcd-io/raft's flow control).
///
/// A follower is probed (one message at a time, until the leader finds where
/// their logs agree), replicated to (appends pipelined up to the in-flight
/// window), or sent a snapshot (nothing else until it is installed).
public struct Progress: Sendable, Hashable {
    /// How the leader currently sends to the follower.
    public enum State: Sendable, Hashable {
        /// One append at a time, waiting for its answer or a heartbeat response.
        case probe
        /// Appends are pipelined, up to the in-flight window.
        case replicate
        /// A snapshot is being sent; appends wait until it is installed.
        case snapshot
    }

    /// The highest index known to be replicated on the follower.
    public var match: UInt64
    /// The index of the next entry to send.
    /// Invariant: `match < next`.
    public var next: UInt64
    /// How the leader currently sends.
    public private(set) var state: State = .probe
    /// The index of the snapshot being sent, in the snapshot state.
    public private(set) var pendingSnapshot: UInt64 = 0
    /// True when the follower answered since the last CheckQuorum round.
    public var recentActive = false
    /// In the probe state: an append was sent and the leader waits.
    public private(set) var probeSent = false
    /// The appends in flight, in the replicate state.
    public private(set) var inflights: Inflights
    /// True for a non-voting member.
    public var isLearner: Bool
    /// The leader tick at which the newest heartbeat this follower answered
    /// was sent; a quorum of these bounds the leader's lease.
    public var leaseAcknowledgedTick: UInt64 = 0
    /// The newest read round this follower answered (thesis §6.4).
    public var readRoundAcknowledged: UInt64 = 0

    /// Creates the progress of a follower the leader knows nothing about.
    public init(next: UInt64, messagesMax: Int, bytesMax: Int, isLearner: Bool) {
        self.match = 0
        self.next = max(next, 1)
        self.inflights = Inflights(messagesMax: messagesMax, bytesMax: bytesMax)
        self.isLearner = isLearner
    }

    /// True when the leader must not send appends now.
    public var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }

    private mutating func reset(to newState: State) {
        probeSent = false
        pendingSnapshot = 0
        state = newState
        inflights.reset()
    }

    /// Moves to the probe state, resuming after the match (or after the
    /// snapshot just sent).
    public mutating func becomeProbe() {
        if state == .snapshot {
            let pending = pendingSnapshot
            reset(to: .probe)
            next = max(match + 1, pending + 1)
        } else {
            reset(to: .probe)
            next = match + 1
        }
    }

    /// Moves to the replicate state, resuming after the match.
    public mutating func becomeReplicate() {
        reset(to: .replicate)
        next = match + 1
    }

    /// Moves to the snapshot state for a snapshot at `index`.
    public mutating func becomeSnapshot(_ index: UInt64) {
        reset(to: .snapshot)
        pendingSnapshot = index
    }

    /// Records that the follower holds the log up to `index`. Returns true
    /// when that is news (the match grew).
    public mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// Records that an append carrying `count` entries ending at `lastIndex`
    /// with `bytes` of payload was sent.
    public mutating func sentEntries(count: Int, lastIndex: UInt64, bytes: Int) {
        switch state {
        case .replicate:
            if count > 0 {
                next = lastIndex + 1
                inflights.add(index: lastIndex, bytes: bytes)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("an append was sent to a follower receiving a snapshot")
        }
    }

    /// Frees the in-flight window up to `index` (the follower acknowledged it).
    public mutating func acknowledgeInflights(upTo index: UInt64) {
        inflights.freeLessOrEqual(index)
    }

    /// A heartbeat response arrived: the probe state may send again, and a
    /// full window in the replicate state frees its oldest message, so that
    /// replication resumes when appends or their answers were lost (the
    /// follower then rejects the gap and the leader probes).
    public mutating func heartbeatAnswered() {
        probeSent = false
        if state == .replicate && inflights.isFull {
            inflights.freeFirst()
        }
    }

    /// Handles a rejection of the append whose previous index was `rejected`;
    /// `matchHint` is the largest index at which the logs may agree (the
    /// follower's conflict hint, thesis §5.3 fast backtracking). Returns
    /// false when the rejection is stale and must be ignored.
    public mutating func maybeDecrease(rejected: UInt64, matchHint: UInt64) -> Bool {
        if state == .replicate {
            // A rejection of an index at or below the match is stale.
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        // In the probe state only the rejection of the last probe counts.
        if next - 1 != rejected { return false }
        next = max(min(rejected, matchHint + 1), match + 1)
        probeSent = false
        return true
    }
}
