import ConcordDynamo
import ConcordKV
import ConcordRaft
import ConcordZooKeeper

/// A peer frame the core wants sent now.
public struct OutgoingFrame: Sendable {
    /// The receiving member.
    public var to: UInt64
    /// The frame (the shell encodes it with this member as sender and the
    /// core's `clusterID`).
    public var frame: PeerFrame

    /// Creates an outgoing frame.
    public init(to: UInt64, frame: PeerFrame) {
        self.to = to
        self.frame = frame
    }
}

/// The messages of the available store that arrived from a member in one
/// frame and passed the core's admission (cluster id, sender, addressee).
public struct IncomingStoreMessage: Sendable {
    /// The sending member.
    public var from: UInt64
    /// The messages, in the order sent, for the member's `DynamoNode`.
    public var messages: [DynamoMessage]

    /// Creates the incoming store messages of one frame.
    public init(from: UInt64, messages: [DynamoMessage]) {
        self.from = from
        self.messages = messages
    }
}

/// A change to the peers the shell's transport connects to.
public enum PeerChange: Sendable, Hashable {
    /// Connect to (or re-point) member `id` at `peerURL`.
    case connect(id: UInt64, peerURL: String)
    /// Forget member `id`.
    case disconnect(id: UInt64)
}

/// A change to what this member records about itself in its data
/// directory, outside the replicated log.
public enum IdentityChange: Sendable, Hashable {
    /// A member that joined a running cluster learned the cluster's id.
    case adoptClusterID(UInt64)
    /// This member applied its own removal: it must never start again on
    /// this data directory, and stops serving.
    case removedFromCluster
}

/// Something that happened in the core worth a log line or a metric.
public enum ServerEvent: Sendable, Hashable {
    /// The role or the leader changed.
    case roleChanged(RoleState)
    /// A snapshot was taken at this index and revision.
    case snapshotTaken(index: UInt64, revision: Int64)
    /// A snapshot from the leader was installed.
    case snapshotInstalled(index: UInt64, revision: Int64)
    /// A snapshot could not be taken.
    case snapshotFailed(String)
    /// A member change was applied at this index.
    case memberChangeApplied(index: UInt64, MemberCommand)
    /// This member's name and client URLs are in the registry.
    case published(name: String, clientURLs: [String])
    /// A log entry every replica skips (it does not decode).
    case skippedEntry(index: UInt64, reason: String)
    /// A peer frame was dropped.
    case droppedPeerFrame(sender: UInt64, reason: String)
    /// A peer addresses another member id at this member's address: the
    /// peer URL given to `member add` and `--initial-cluster` differ.
    case addressedAsAnotherMember(expected: UInt64)
    /// A member that joined a running cluster adopted its id.
    case joinedCluster(clusterID: UInt64)
    /// An expired lease's revoke did not apply.
    case expiredLeaseRevokeFailed(leaseID: Int64, reason: String)
}

/// What a `ServerCore` asks of a ZooKeeper client connection (its
/// `ZooKeeper.Server`'s `.send` and `.close`; its `.propose` the core
/// performs itself, through the log).
public enum ZooKeeperEffect: Sendable, Hashable {
    /// Write these bytes to the connection (whole frames, or a
    /// four-letter word's text).
    case send(connection: UInt64, bytes: [UInt8])
    /// Close the connection once what was sent before is written. The core
    /// has already forgotten it: do not call `onZooKeeperDisconnected`
    /// for it (it would be ignored).
    case close(connection: UInt64)
}

/// Everything a `ServerCore` asks its shell to do after one input.
///
/// ## The ordering contract
///
/// A shell handles an output in this order, and outputs in the order the
/// core returned them:
///
/// 0. `fatal` (when present): stop the member with that message; nothing
///    else of the output may be performed.
/// 1. `identity` changes are recorded durably, in order, before anything
///    else is done (a member must not send with a cluster id it would
///    forget in a crash, and must not restart after its removal).
/// 2. `persist` requests are written to durable storage in order; each may
///    complete asynchronously. When a request and every earlier one are
///    durable, the shell calls `onPersisted(upTo: request.sequence)`.
/// 3. `frames` may be sent at once, in any order (a frame that depends on
///    unpersisted state is held by the core until `onPersisted`, as
///    `RaftOutput` documents).
/// 4. `replies` are delivered to their clients. Every reply is final: a
///    write is answered only once applied here, which needs it committed,
///    so durable on a quorum.
/// 5. `watchStreamsWithWork` name the watch streams that have responses to
///    take (`takeWatchResponses(stream:maxResponses:)`).
/// 6. `peerChanges` re-point the transport.
/// 7. `flushRequested`: client proposals are queued; call `onFlush(now:)`
///    soon (after the inputs already waiting, so that proposals arriving
///    together travel together).
/// 8. `events` and the counters are for logs and metrics only.
/// 9. `storeMessages` go to the member's available store, in order (the
///    store is independent of everything above; a shell without a store
///    drops them).
/// 10. `zooKeeper` effects are performed in order, after the frames of
///    the same output are handed to the transport: bytes written to a
///    ZooKeeper connection, connections closed after what was written to
///    them. Like `replies`, every answer in them is final (a write's answer
///    leaves once it is applied here); a watch event precedes, in this
///    list, every answer that could show its change.
/// 11. `snapshotToEncode` (only with `encodesSnapshotsInShell`): encode it
///    (`SnapshotCapture.encoded()`, on any thread, taking the time it
///    takes) and hand the bytes, with its index, to
///    `onSnapshotEncoded(index:data:nowMilliseconds:)`.
public struct ServerOutput: Sendable {
    /// Stop the member: the core met a state it cannot go on from.
    public var fatal: String?
    /// Identity changes to record durably first.
    public var identity: [IdentityChange] = []
    /// State to make durable, then report with `onPersisted(upTo:)`.
    public var persist: [PersistRequest] = []
    /// Frames to send now.
    public var frames: [OutgoingFrame] = []
    /// Final answers to clients.
    public var replies: [ServerReply] = []
    /// Watch streams with responses to take.
    public var watchStreamsWithWork: [Int64] = []
    /// Changes to the transport's peers.
    public var peerChanges: [PeerChange] = []
    /// True when `onFlush(now:)` should be called soon.
    public var flushRequested = false
    /// Things worth a log line or a metric.
    public var events: [ServerEvent] = []
    /// Log entries applied.
    public var entriesApplied = 0
    /// The entries applied, in order, when the configuration asks
    /// (`reportsAppliedEntries`; the simulator's monitor).
    public var appliedEntries: [LogEntry] = []
    /// This member's proposals that committed and were answered.
    public var proposalsCommitted = 0
    /// This member's proposals that failed (refused or timed out).
    public var proposalsFailed = 0
    /// Available-store messages from peers, for the member's `DynamoNode`.
    public var storeMessages: [IncomingStoreMessage] = []
    /// Bytes for and closes of ZooKeeper client connections, in order.
    public var zooKeeper: [ZooKeeperEffect] = []
    /// The state to encode as a snapshot, when the shell encodes them.
    public var snapshotToEncode: SnapshotCapture?

    /// An empty output.
    public init() {}
}
