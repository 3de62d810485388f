import ConcordFoundation
import ConcordCRDT
import ConcordClocks

/// One replica of delta-state anti-entropy (Almeida, Shoker, Baquero,
/// "Delta State Replicated Data Types", JPDC 2018, Algorithm 2), as a pure
/// value: inputs are local updates, gossip ticks and messages; outputs are
/// messages to send.
///
/// - Each local delta (and each received delta that taught this replica
///   something) is kept in a buffer under a sequence number.
/// - On every tick the replica sends each peer the join of the deltas that
///   peer has not acknowledged, tagged with the current sequence number; the
///   peer merges and acknowledges it. Lost, duplicated or reordered messages
///   do no harm: joins are idempotent and commutative, and unacknowledged
///   deltas are simply sent again.
/// - Full-state fallback: a peer that has fallen behind the buffer (it was
///   trimmed to ``deltaBufferCountMax``) or misses more than
///   ``deltaJoinCountMax`` deltas gets the whole state instead, and
///   every ``fullStateEveryTicks`` ticks one peer gets the whole state
///   regardless (classic anti-entropy, which repairs anything).
public struct DeltaGossipReplica<State: StateCRDT & BinaryCodable>: Sendable {
    /// A gossip message.
    public enum Message: Sendable {
        /// A join of deltas; acknowledging `sequence` covers every delta below it.
        case delta(State, sequence: UInt64)
        /// The whole state, covering every delta below `sequence`.
        case fullState(State, sequence: UInt64)
        /// The receiver has merged everything below `sequence`.
        case acknowledgement(sequence: UInt64)
    }

    /// How gossip is shipped.
    public enum Mode: Sendable {
        /// Deltas, with full states only as the fallback.
        case deltas
        /// Whole states on every tick (the baseline deltas are measured against).
        case fullStates
    }

    /// The most deltas kept for peers that have not acknowledged them.
    public static var deltaBufferCountMax: Int { 256 }
    /// A peer missing more deltas than this gets the full state instead:
    /// joining a long backlog costs more than it saves.
    public static var deltaJoinCountMax: UInt64 { 32 }
    /// Every this many ticks, one peer is sent the full state.
    public static var fullStateEveryTicks: Int { 10 }

    /// This replica.
    public let id: Int
    /// The replicas it gossips with.
    public let peers: [Int]
    /// How it ships gossip.
    public let mode: Mode
    /// The join used on received states (a test can pass a broken one).
    public let join: @Sendable (inout State, State) -> Void
    /// The replicated state.
    public private(set) var state = State()
    /// Bytes of delta payloads sent.
    public private(set) var deltaBytesSent = 0
    /// Bytes of full-state payloads sent.
    public private(set) var fullStateBytesSent = 0

    /// Buffered deltas; `origin` is the peer a received delta came from.
    private var buffer: [(sequence: UInt64, delta: State, origin: Int?)] = []
    private var nextSequence: UInt64 = 0
    private var acknowledged: [Int: UInt64] = [:]
    private var ticks = 0

    /// A replica starting from `state` (empty by default; a restarted
    /// replica passes the state it recovered).
    public init(
        id: Int, peers: [Int], mode: Mode = .deltas, state: State = State(),
        join: @escaping @Sendable (inout State, State) -> Void = { $0.merge($1) }
    ) {
        self.id = id
        self.peers = peers
        self.mode = mode
        self.state = state
        self.join = join
    }

    /// How many deltas this replica has recorded: it grows exactly when the
    /// state changes (a local update, or a received state that taught it something).
    public var recordedDeltaCount: UInt64 { nextSequence }

    /// Applies a local update: `mutate` calls a delta mutator on the state
    /// and returns its delta, which is buffered for gossip.
    public mutating func update(_ mutate: (inout State) -> State) {
        let delta = mutate(&state)
        record(delta, from: nil)
    }

    /// A gossip tick: the messages to send now.
    public mutating func onTick() -> [(to: Int, message: Message)] {
        ticks += 1
        var messages: [(to: Int, message: Message)] = []
        let oldest = buffer.first?.sequence ?? nextSequence
        let fallbackPeer = peers.isEmpty ? nil : peers[(ticks / Self.fullStateEveryTicks) % peers.count]
        for peer in peers {
            let known = acknowledged[peer] ?? 0
            let periodic = ticks % Self.fullStateEveryTicks == 0 && peer == fallbackPeer
            let behind = nextSequence - min(known, nextSequence)
            if mode == .fullStates || known < oldest || periodic || behind > Self.deltaJoinCountMax {
                fullStateBytesSent += state.binaryEncoded().count
                messages.append((peer, .fullState(state, sequence: nextSequence)))
            } else if known < nextSequence {
                var joined = State()
                // A delta is not sent back to the peer it came from
                // ("back-propagation", Enes et al., "Efficient
                // Synchronization of State-based CRDTs", ICDE 2019).
                for entry in buffer where entry.sequence >= known && entry.origin != peer {
                    joined.merge(entry.delta)
                }
                deltaBytesSent += joined.binaryEncoded().count
                messages.append((peer, .delta(joined, sequence: nextSequence)))
            }
        }
        return messages
    }

    /// Handles a message from `peer`; returns the messages to send.
    public mutating func onMessage(_ message: Message, from peer: Int) -> [(to: Int, message: Message)] {
        switch message {
        case .delta(let received, let sequence), .fullState(let received, let sequence):
            if !received.isCovered(by: state) {
                var merged = state
                join(&merged, received)
                state = merged
                // Forward what was new to the other peers.
                record(received, from: peer)
            }
            return [(peer, .acknowledgement(sequence: sequence))]
        case .acknowledgement(let sequence):
            acknowledged[peer] = max(acknowledged[peer] ?? 0, sequence)
            trimBuffer()
            return []
        }
    }

    private mutating func record(_ delta: State, from origin: Int?) {
        buffer.append((nextSequence, delta, origin))
        nextSequence += 1
        if buffer.count > Self.deltaBufferCountMax {
            buffer.removeFirst(buffer.count - Self.deltaBufferCountMax)
        }
        trimBuffer()
    }

    /// Drops deltas every peer has acknowledged.
    private mutating func trimBuffer() {
        let everyoneHas = peers.map { acknowledged[$0] ?? 0 }.min() ?? nextSequence
        buffer.removeAll { $0.sequence < everyoneHas }
    }
}
