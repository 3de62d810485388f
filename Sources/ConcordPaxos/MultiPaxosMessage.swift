/// A message between replicas of a Multi-Paxos group.
public struct MultiPaxosMessage: Sendable, Hashable, CustomStringConvertible {
    /// The sender.
    public var from: ReplicaID
    /// The receiver.
    public var to: ReplicaID
    /// For a leader's or candidate's message, its ballot; for an answer,
    /// the ballot answered. Zero for a forwarded proposal or read, which no
    /// ballot check applies to.
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
        case prepare(Prepare)
        /// Acceptor to candidate: phase 1b, with what it accepted.
        case promise(Promise)
        /// Acceptor to leader or candidate: the ballot is refused because
        /// a higher one was promised.
        case reject(promised: Ballot)
        /// Leader to acceptor: phase 2a for contiguous slots, and the
        /// leader's commit index.
        case accept(Accept)
        /// Acceptor to leader: phase 2b.
        case acceptResponse(AcceptResponse)
        /// Leader to acceptor: commit index, read round and lease tick.
        case heartbeat(Heartbeat)
        /// Acceptor to leader.
        case heartbeatResponse(HeartbeatResponse)
        /// Leader to acceptor: one chunk of a snapshot.
        case snapshotChunk(SnapshotChunk)
        /// Acceptor to leader: the answer to a chunk that was not the last.
        case snapshotChunkResponse(SnapshotChunkResponse)
        /// Leader to the target of a leadership transfer: campaign now.
        case timeoutNow
        /// Follower to leader: client commands forwarded.
        case forwardedProposal([[UInt8]])
        /// Follower to leader: a forwarded read.
        case readIndexRequest(context: UInt64)
        /// Leader to follower: the read index of a forwarded read.
        case readIndexResponse(index: UInt64, context: UInt64)
    }

    /// Phase 1a.
    public struct Prepare: Sendable, Hashable {
        /// The first slot the candidate does not know chosen: the promise
        /// reports what the acceptor accepted from here on.
        public var fromSlot: UInt64
        /// True when a leader asked for this campaign (`transferLeadership`):
        /// acceptors answer even while they hear from a leader.
        public var isLeadershipTransfer: Bool

        /// Creates the payload.
        public init(fromSlot: UInt64, isLeadershipTransfer: Bool = false) {
            self.fromSlot = fromSlot
            self.isLeadershipTransfer = isLeadershipTransfer
        }
    }

    /// Phase 1b: a promise for every slot from `fromSlot` on.
    public struct Promise: Sendable, Hashable {
        /// The acceptor's commit index: its entries up to here are chosen.
        public var commit: UInt64
        /// The acceptor's snapshot, when it covers slots from `fromSlot`
        /// on (the candidate is behind it).
        public var snapshot: MultiPaxosSnapshot?
        /// Every slot the acceptor accepted from the prepare's `fromSlot`
        /// (or after its snapshot) on, with the ballot it accepted in.
        public var entries: [MultiPaxosLogEntry]

        /// Creates the payload.
        public init(commit: UInt64, snapshot: MultiPaxosSnapshot? = nil, entries: [MultiPaxosLogEntry] = []) {
            self.commit = commit
            self.snapshot = snapshot
            self.entries = entries
        }
    }

    /// Phase 2a for contiguous slots.
    public struct Accept: Sendable, Hashable {
        /// The first slot carried (the one after the leader's view of the
        /// acceptor's agreed prefix when `entries` is empty).
        public var firstSlot: UInt64
        /// The slots, contiguous from `firstSlot`. Those up to
        /// `leaderCommit` are chosen values (with the ballot they were
        /// accepted in); the rest are proposals in the message's ballot.
        public var entries: [MultiPaxosLogEntry]
        /// The leader's commit index.
        public var leaderCommit: UInt64

        /// Creates the payload.
        public init(firstSlot: UInt64, entries: [MultiPaxosLogEntry], leaderCommit: UInt64) {
            self.firstSlot = firstSlot
            self.entries = entries
            self.leaderCommit = leaderCommit
        }
    }

    /// Phase 2b.
    public struct AcceptResponse: Sendable, Hashable {
        /// The highest slot up to which every slot of the acceptor holds a
        /// chosen value or the value of the answered ballot, durably.
        public var agreedThrough: UInt64
        /// The last slot the answered message carried (its first slot
        /// minus one when it carried none).
        public var lastReceived: UInt64
        /// The acceptor's commit index.
        public var commit: UInt64

        /// Creates the payload.
        public init(agreedThrough: UInt64, lastReceived: UInt64, commit: UInt64) {
            self.agreedThrough = agreedThrough
            self.lastReceived = lastReceived
            self.commit = commit
        }
    }

    /// A heartbeat.
    public struct Heartbeat: Sendable, Hashable {
        /// The leader's commit index.
        public var commit: UInt64
        /// The leader's read round when sent.
        public var readRound: UInt64
        /// The leader's tick count when sent.
        public var sentTick: UInt64

        /// Creates the payload.
        public init(commit: UInt64, readRound: UInt64, sentTick: UInt64) {
            self.commit = commit
            self.readRound = readRound
            self.sentTick = sentTick
        }
    }

    /// The answer to a heartbeat: it echoes round and tick.
    public struct HeartbeatResponse: Sendable, Hashable {
        /// The echoed read round.
        public var readRound: UInt64
        /// The echoed tick.
        public var sentTick: UInt64
        /// As in `AcceptResponse`.
        public var agreedThrough: UInt64
        /// The acceptor's commit index.
        public var commit: UInt64

        /// Creates the payload.
        public init(readRound: UInt64, sentTick: UInt64, agreedThrough: UInt64, commit: UInt64) {
            self.readRound = readRound
            self.sentTick = sentTick
            self.agreedThrough = agreedThrough
            self.commit = commit
        }
    }

    /// One chunk of a snapshot.
    public struct SnapshotChunk: Sendable, Hashable {
        /// The snapshot's last slot.
        public var index: UInt64
        /// The byte offset of this chunk.
        public var offset: Int
        /// The chunk's bytes.
        public var data: [UInt8]
        /// True for the last chunk.
        public var isLast: Bool

        /// Creates the payload.
        public init(index: UInt64, offset: Int, data: [UInt8], isLast: Bool) {
            self.index = index
            self.offset = offset
            self.data = data
            self.isLast = isLast
        }
    }

    /// The answer to a snapshot chunk that was not the last.
    public struct SnapshotChunkResponse: Sendable, Hashable {
        /// The snapshot's last slot.
        public var index: UInt64
        /// The offset the acceptor expects next.
        public var nextOffset: Int
        /// True when the acceptor does not need the snapshot.
        public var rejected: Bool

        /// Creates the payload.
        public init(index: UInt64, nextOffset: Int, rejected: Bool) {
            self.index = index
            self.nextOffset = nextOffset
            self.rejected = rejected
        }
    }

    public var description: String {
        let ballotText = "b\(ballot)"
        switch body {
        case .prepare(let prepare): return "prepare \(ballotText) from \(prepare.fromSlot)\(prepare.isLeadershipTransfer ? " transfer" : "")"
        case .promise(let promise):
            return "promise \(ballotText) commit \(promise.commit) +\(promise.entries.count)" + (promise.snapshot.map { " snapshot \($0.index)" } ?? "")
        case .reject(let promised): return "reject \(ballotText) promised b\(promised)"
        case .accept(let accept): return "accept \(ballotText) from \(accept.firstSlot) +\(accept.entries.count) commit \(accept.leaderCommit)"
        case .acceptResponse(let response):
            return "accepted \(ballotText) through \(response.agreedThrough) last \(response.lastReceived) commit \(response.commit)"
        case .heartbeat(let heartbeat): return "heartbeat \(ballotText) commit \(heartbeat.commit) round \(heartbeat.readRound)"
        case .heartbeatResponse(let response): return "heartbeat-ok \(ballotText) round \(response.readRound) through \(response.agreedThrough)"
        case .snapshotChunk(let chunk): return "snapshot \(ballotText) \(chunk.index) @\(chunk.offset)\(chunk.isLast ? " last" : "")"
        case .snapshotChunkResponse(let response): return "snapshot-ack \(ballotText) \(response.index) @\(response.nextOffset)"
        case .timeoutNow: return "timeout-now \(ballotText)"
        case .forwardedProposal(let commands): return "forward +\(commands.count)"
        case .readIndexRequest(let context): return "read-index \(context)"
        case .readIndexResponse(let index, let context): return "read-index-ok \(context) at \(index)"
        }
    }

    /// The payload bytes the message carries (commands and snapshot data),
    /// for message-size accounting.
    public var payloadBytes: Int {
        switch body {
        case .promise(let promise): promise.entries.reduce(promise.snapshot?.data.count ?? 0) { $0 + $1.payloadBytes }
        case .accept(let accept): accept.entries.reduce(0) { $0 + $1.payloadBytes }
        case .snapshotChunk(let chunk): chunk.data.count
        case .forwardedProposal(let commands): commands.reduce(0) { $0 + $1.count }
        default: 0
        }
    }
}
