/// An acceptor's vote in one slot: the value it accepted, in which ballot,
/// and whether in a fast round (straight from a client) or a classic one
/// (from the coordinator).
public struct FastPaxosVote: Sendable, Hashable {
    /// The slot.
    public var slot: UInt64
    /// The ballot (round) of the vote.
    public var ballot: Ballot
    /// The value: the commands the slot holds (empty for a no-op).
    public var value: [[UInt8]]
    /// True for a vote cast in a fast round.
    public var isFast: Bool

    /// Creates a vote.
    public init(slot: UInt64, ballot: Ballot, value: [[UInt8]], isFast: Bool) {
        self.slot = slot
        self.ballot = ballot
        self.value = value
        self.isFast = isFast
    }
}

/// A value chosen in one slot of a Fast Paxos log.
public struct FastPaxosDecision: Sendable, Hashable {
    /// The slot.
    public var slot: UInt64
    /// The commands chosen there (empty for a no-op).
    public var value: [[UInt8]]

    /// Creates a decision.
    public init(slot: UInt64, value: [[UInt8]]) {
        self.slot = slot
        self.value = value
    }
}

/// A message between replicas of a Fast Paxos group.
public struct FastPaxosMessage: Sendable, Hashable, CustomStringConvertible {
    /// The sender.
    public var from: ReplicaID
    /// The receiver.
    public var to: ReplicaID
    /// The coordinator's or candidate's ballot, or the ballot answered.
    public var ballot: Ballot
    /// What the message says.
    public var body: Body

    /// Creates a message.
    public init(from: ReplicaID, to: ReplicaID, ballot: Ballot, body: Body) {
        self.from = from
        self.to = to
        self.ballot = ballot
        self.body = body
    }

    /// The kinds of message.
    public enum Body: Sendable, Hashable {
        /// Candidate to acceptor: phase 1a for every slot from `fromSlot` on.
        case prepare(fromSlot: UInt64)
        /// Acceptor to candidate: phase 1b with every vote from the
        /// prepare's slot on, and the values it knows chosen there.
        case promise(commit: UInt64, votes: [FastPaxosVote], chosen: [FastPaxosDecision])
        /// Acceptor to candidate or coordinator: a higher ballot was promised.
        case reject(promised: Ballot)
        /// Coordinator to acceptor: classic phase 2a for these slots.
        case accept([FastPaxosDecision])
        /// Coordinator to acceptor: the ballot is a fast round for every
        /// slot from `fromSlot` on ("any" message): accept client commands
        /// directly, each in the next free slot.
        case any(fromSlot: UInt64)
        /// Acceptor to coordinator: phase 2b votes.
        case votes([FastPaxosVote])
        /// Coordinator to acceptor: the commit index and chosen values (a
        /// heartbeat when it carries none).
        case commit(commit: UInt64, decisions: [FastPaxosDecision])
        /// Acceptor to coordinator: its commit index.
        case commitResponse(commit: UInt64)
    }

    public var description: String {
        let ballotText = "b\(ballot)"
        switch body {
        case .prepare(let from): return "prepare \(ballotText) from \(from)"
        case .promise(let commit, let votes, let chosen):
            return "promise \(ballotText) commit \(commit) votes \(votes.count) chosen \(chosen.count)"
        case .reject(let promised): return "reject \(ballotText) promised b\(promised)"
        case .accept(let decisions): return "accept \(ballotText) \(decisions.map { "s\($0.slot)" }.joined(separator: ","))"
        case .any(let from): return "any \(ballotText) from \(from)"
        case .votes(let votes): return "votes \(ballotText) \(votes.map { "s\($0.slot)\($0.isFast ? "f" : "c")" }.joined(separator: ","))"
        case .commit(let commit, let decisions): return "commit \(ballotText) \(commit) +\(decisions.count)"
        case .commitResponse(let commit): return "commit-ok \(ballotText) \(commit)"
        }
    }

    /// The command bytes the message carries, for message-size accounting.
    public var payloadBytes: Int {
        func size(_ value: [[UInt8]]) -> Int { value.reduce(0) { $0 + $1.count } }
        switch body {
        case .promise(_, let votes, let chosen):
            return votes.reduce(0) { $0 + size($1.value) } + chosen.reduce(0) { $0 + size($1.value) }
        case .accept(let decisions), .commit(_, let decisions): return decisions.reduce(0) { $0 + size($1.value) }
        case .votes(let votes): return votes.reduce(0) { $0 + size($1.value) }
        default: return 0
        }
    }
}
