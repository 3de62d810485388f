/// A message between replicas (Raft Figure 2's RPCs and their replies, plus
/// the extensions of the thesis: PreVote §9.6, TimeoutNow §3.10, snapshot
/// chunks §5.3, ReadIndex §6.4).
public struct RaftMessage: Sendable, Hashable {
    /// The sender.
    public var from: MemberID
    /// The receiver.
    public var to: MemberID
    /// The sender's term; for a pre-vote request, the term the sender would
    /// campaign in. Zero for a forwarded proposal or read, which no term
    /// check applies to.
    public var term: UInt64
    /// What the message says.
    public var body: Body

    /// Creates a message.
    public init(from: MemberID, to: MemberID, term: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }

    /// The kinds of message.
    public enum Body: Sendable, Hashable {
        /// Leader to follower: entries after a previous entry (Raft §5.3).
        case appendEntries(AppendEntries)
        /// Follower to leader: the answer to an append or a snapshot.
        case appendResponse(AppendResponse)
        /// Leader to follower: an empty append that carries the commit index
        /// and a read round (thesis §6.4).
        case heartbeat(Heartbeat)
        /// Follower to leader: the answer to a heartbeat.
        case heartbeatResponse(HeartbeatResponse)
        /// Candidate to voter (Raft §5.2; thesis §9.6 for pre-votes).
        case voteRequest(VoteRequest)
        /// Voter to candidate.
        case voteResponse(VoteResponse)
        /// Leader to follower: one chunk of a snapshot (Raft Figure 13).
        case snapshotChunk(SnapshotChunk)
        /// Follower to leader: the answer to a snapshot chunk.
        case snapshotChunkResponse(SnapshotChunkResponse)
        /// Leader to the target of a leadership transfer: campaign now
        /// (thesis §3.10).
        case timeoutNow
        /// Follower to leader: proposals forwarded by a follower.
        case forwardedProposal([ProposedEntry])
        /// Follower to leader: a forwarded ReadIndex request.
        case readIndexRequest(context: UInt64)
        /// Leader to follower: the read index for a forwarded request.
        case readIndexResponse(index: UInt64, context: UInt64)
    }

    /// The payload of an append (Raft Figure 2, AppendEntries arguments).
    public struct AppendEntries: Sendable, Hashable {
        /// The index of the entry before the first one carried.
        public var previousIndex: UInt64
        /// The term of that entry.
        public var previousTerm: UInt64
        /// The entries (possibly none).
        public var entries: [LogEntry]
        /// The leader's commit index.
        public var leaderCommit: UInt64

        /// Creates the payload.
        public init(previousIndex: UInt64, previousTerm: UInt64, entries: [LogEntry], leaderCommit: UInt64) {
            self.previousIndex = previousIndex
            self.previousTerm = previousTerm
            self.entries = entries
            self.leaderCommit = leaderCommit
        }
    }

    /// The answer to an append or an installed snapshot.
    public struct AppendResponse: Sendable, Hashable {
        /// False when the logs did not agree at the previous entry.
        public var rejected: Bool
        /// When accepted: the last index the follower now holds in agreement
        /// with the leader. When rejected: the previous index that failed.
        public var index: UInt64
        /// When rejected: the largest index at which the logs may agree.
        public var hintIndex: UInt64
        /// When rejected: the follower's term at `hintIndex`, if known.
        public var hintTerm: UInt64?

        /// Creates the payload.
        public init(rejected: Bool, index: UInt64, hintIndex: UInt64 = 0, hintTerm: UInt64? = nil) {
            self.rejected = rejected
            self.index = index
            self.hintIndex = hintIndex
            self.hintTerm = hintTerm
        }
    }

    /// The payload of a heartbeat.
    public struct Heartbeat: Sendable, Hashable {
        /// The leader's commit index, capped at what the follower is known to hold.
        public var commit: UInt64
        /// The leader's read round when the heartbeat was sent.
        public var readRound: UInt64
        /// The leader's tick count when the heartbeat was sent.
        public var sentTick: UInt64

        /// Creates the payload.
        public init(commit: UInt64, readRound: UInt64, sentTick: UInt64) {
            self.commit = commit
            self.readRound = readRound
            self.sentTick = sentTick
        }
    }

    /// The answer to a heartbeat: it echoes the round and tick.
    public struct HeartbeatResponse: Sendable, Hashable {
        /// The echoed read round.
        public var readRound: UInt64
        /// The echoed tick count.
        public var sentTick: UInt64

        /// Creates the payload.
        public init(readRound: UInt64, sentTick: UInt64) {
            self.readRound = readRound
            self.sentTick = sentTick
        }
    }

    /// The payload of a vote request (Raft Figure 2, RequestVote arguments).
    public struct VoteRequest: Sendable, Hashable {
        /// The index of the candidate's last entry.
        public var lastLogIndex: UInt64
        /// The term of the candidate's last entry.
        public var lastLogTerm: UInt64
        /// True for a pre-vote (thesis §9.6): nobody changes term or votes.
        public var isPreVote: Bool
        /// True when a leader asked for this election (thesis §3.10): voters
        /// grant even while they believe a leader is alive.
        public var isLeadershipTransfer: Bool

        /// Creates the payload.
        public init(lastLogIndex: UInt64, lastLogTerm: UInt64, isPreVote: Bool, isLeadershipTransfer: Bool) {
            self.lastLogIndex = lastLogIndex
            self.lastLogTerm = lastLogTerm
            self.isPreVote = isPreVote
            self.isLeadershipTransfer = isLeadershipTransfer
        }
    }

    /// The answer to a vote request.
    public struct VoteResponse: Sendable, Hashable {
        /// True when the vote is granted.
        public var granted: Bool
        /// True when answering a pre-vote.
        public var isPreVote: Bool

        /// Creates the payload.
        public init(granted: Bool, isPreVote: Bool) {
            self.granted = granted
            self.isPreVote = isPreVote
        }
    }

    /// One chunk of a snapshot (Raft Figure 13, InstallSnapshot arguments).
    public struct SnapshotChunk: Sendable, Hashable {
        /// What the snapshot covers.
        public var metadata: SnapshotMetadata
        /// The byte offset of this chunk in the snapshot's data.
        public var offset: Int
        /// The chunk's bytes.
        public var data: [UInt8]
        /// True for the last chunk.
        public var isLast: Bool

        /// Creates the payload.
        public init(metadata: SnapshotMetadata, offset: Int, data: [UInt8], isLast: Bool) {
            self.metadata = metadata
            self.offset = offset
            self.data = data
            self.isLast = isLast
        }
    }

    /// The answer to a snapshot chunk that is not the last.
    public struct SnapshotChunkResponse: Sendable, Hashable {
        /// The index of the snapshot being received.
        public var snapshotIndex: UInt64
        /// The offset of the chunk this answers: the leader acts only on the
        /// answer to the chunk it sent last, and drops late answers to
        /// earlier ones (duplicates, or a resent chunk's first copy).
        public var chunkOffset: Int
        /// The offset the follower expects next.
        public var nextOffset: Int
        /// True when the follower does not want this snapshot (it holds the
        /// entries already); the leader goes back to probing.
        public var rejected: Bool

        /// Creates the payload.
        public init(snapshotIndex: UInt64, chunkOffset: Int, nextOffset: Int, rejected: Bool) {
            self.snapshotIndex = snapshotIndex
            self.chunkOffset = chunkOffset
            self.nextOffset = nextOffset
            self.rejected = rejected
        }
    }
}

/// A proposed entry before the leader gives it an index and a term.
public struct ProposedEntry: Sendable, Hashable {
    /// What the payload means.
    public var kind: LogEntry.Kind
    /// The payload.
    public var data: [UInt8]

    /// Creates a proposed entry.
    public init(kind: LogEntry.Kind = .normal, data: [UInt8]) {
        self.kind = kind
        self.data = data
    }
}
