import ConcordFoundation
import ConcordRaft
import ConcordZooKeeper

/// ZooKeeper's face: the member's `ZooKeeper.Server` on the same log as
/// the etcd store.
///
/// Every member holds a `ZooKeeper.Server` and hands it every committed
/// ZooKeeper transaction in log order, whether or not it serves ZooKeeper
/// clients (`ServerCoreConfiguration.zooKeeper`): its replica stays
/// current for snapshots, and a member that serves none simply closes
/// every connection. The server's proposals become `LogPayload.zooKeeper`
/// entries that travel like every other proposal of this member: queued,
/// batched at the next flush, forwarded to the leader by the engine,
/// proposed again after a leader change (the duplicate filter applies one
/// copy), failed at the request deadline (the server's
/// `onProposalLost(tag:)` closes the waiting connection; the client
/// reconnects and retries, as with ZooKeeper).
extension ServerCore {
    /// A seed for the ZooKeeper server's generator (session ids and
    /// passwords), derived from the core's seed without drawing from the
    /// core's own generator, so that adding the ZooKeeper face changes no
    /// other random choice of the core.
    static func zooKeeperSeed(_ seed: UInt64) -> UInt64 { (seed ^ 0x5A4B_5A4B_5A4B_5A4B) &* 0x9E37_79B9_7F4A_7C15 }

    /// The function digest authentication uses on a member that serves no
    /// ZooKeeper clients: never called, since such a member closes every
    /// connection before it can authenticate.
    static let noSHA1: @Sendable ([UInt8]) -> [UInt8] = { _ in
        preconditionFailure("a member that serves no ZooKeeper clients authenticated one")
    }

    /// The replicated ZooKeeper state this member has applied.
    public var zooKeeperState: ZooKeeper.StateMachine { zooKeeper.state }

    /// This member's ZooKeeper server (its connections, watches, role), for
    /// the simulator's and tests' checks; the shell performs outputs only.
    public var zooKeeperServer: ZooKeeper.Server { zooKeeper }

    // MARK: Inputs

    /// A ZooKeeper client connected; `remoteAddress` is what `stat` lists.
    /// - Parameter connection: chosen by the shell, unique on this member
    ///   while the connection is open.
    public mutating func onZooKeeperConnected(_ connection: UInt64, remoteAddress: String, nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        if configuration.zooKeeper == nil {
            output.zooKeeper.append(.close(connection: connection))
        } else {
            zooKeeper.onConnected(connection, remoteAddress: remoteAddress)
        }
        finish(&output)
        return output
    }

    /// Bytes arrived on a ZooKeeper connection, however the transport cut
    /// them (the server reassembles frames).
    public mutating func onZooKeeperBytes(_ connection: UInt64, _ bytes: [UInt8], nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        if configuration.zooKeeper == nil {
            output.zooKeeper.append(.close(connection: connection))
        } else {
            performZooKeeper(zooKeeper.onBytes(connection, bytes), &output)
        }
        finish(&output)
        return output
    }

    /// A ZooKeeper connection closed (the client left or the socket
    /// broke). Its session lives on until it expires or its client
    /// reconnects; its watches on this member go.
    public mutating func onZooKeeperDisconnected(_ connection: UInt64, nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        zooKeeper.onDisconnected(connection)
        finish(&output)
        return output
    }

    // MARK: Effects

    /// Performs a ZooKeeper server's effects: sends and closes go to the
    /// shell in order, proposals into the log.
    mutating func performZooKeeper(_ effects: [ZooKeeper.ServerEffect], _ output: inout ServerOutput) {
        for effect in effects {
            switch effect {
            case .send(let connection, let bytes): output.zooKeeper.append(.send(connection: connection, bytes: bytes))
            case .close(let connection): output.zooKeeper.append(.close(connection: connection))
            case .propose(let proposal): proposeZooKeeper(proposal, &output)
            }
        }
    }

    /// Queues a ZooKeeper proposal for the next flush, stamped with this
    /// member's clock. Its tag is remembered here, with the pending
    /// proposal, and never enters the log: only this incarnation of this
    /// member answers the connection waiting on it.
    private mutating func proposeZooKeeper(_ proposal: ZooKeeper.Proposal, _ output: inout ServerOutput) {
        precondition(proposal.origin.server == memberID, "a ZooKeeper proposal names its member as its origin")
        let id = ProposalID(proposer: memberID, request: takeRequestNumber())
        let data = LogPayload.zooKeeper(id, timeMilliseconds: nowMilliseconds, proposal.command).encoded()
        guard data.count <= configuration.requestBytesMax else {
            return performZooKeeper(zooKeeper.onProposalLost(tag: proposal.origin.tag), &output)
        }
        proposals[id.request] = PendingProposal(
            purpose: .zooKeeper(tag: proposal.origin.tag), data: data,
            deadline: nowMilliseconds + Int64(configuration.requestTimeoutMilliseconds))
        queuedProposals.append(id.request)
        if !flushPending {
            flushPending = true
            output.flushRequested = true
        }
    }

    // MARK: The log, time and roles

    /// Applies a committed ZooKeeper transaction (already past the
    /// duplicate filter). The transaction's origin is the proposer and,
    /// when the proposer is this member and still waits on it, the tag it
    /// proposed it under; 0 (nobody waits) otherwise, so that a restarted
    /// member's new requests never receive an answer meant for an old one.
    mutating func applyZooKeeper(_ id: ProposalID, timeMilliseconds: Int64, _ command: ZooKeeper.Command, _ output: inout ServerOutput) {
        var tag: UInt64 = 0
        if id.proposer == memberID, let pending = proposals[id.request], case .zooKeeper(let waitingTag) = pending.purpose {
            proposals[id.request] = nil
            output.proposalsCommitted += 1
            tag = waitingTag
        }
        let transaction = ZooKeeper.Transaction(
            origin: ZooKeeper.Origin(server: id.proposer, tag: tag), timeMilliseconds: timeMilliseconds, command: command)
        performZooKeeper(zooKeeper.onCommitted(transaction), &output)
    }

    /// A tick for the ZooKeeper server: the leader's expiry and container
    /// decisions; a follower reports the sessions its clients touched to
    /// the leader it knows (they wait for one otherwise).
    mutating func tickZooKeeper(_ output: inout ServerOutput) {
        performZooKeeper(zooKeeper.onTick(nowMilliseconds: nowMilliseconds), &output)
        guard engine.role != .leader, let leader = engine.leader, leader != memberID else { return }
        let touched = zooKeeper.takeTouchedSessions()
        if !touched.isEmpty {
            output.frames.append(OutgoingFrame(to: leader, frame: .zooKeeperSessionsTouched(touched)))
        }
    }

    /// The ZooKeeper server leads (deciding expiries, each session given a
    /// full timeout from now) exactly while this member leads.
    mutating func zooKeeperRoleChanged(isLeader: Bool, wasLeader: Bool) {
        if isLeader && !wasLeader {
            let standalone = engine.membership.voters == [memberID] && !engine.membership.isJoint
            zooKeeper.onBecameLeader(nowMilliseconds: nowMilliseconds, standalone: standalone)
        } else if !isLeader && wasLeader {
            zooKeeper.onBecameFollower()
        }
    }

    /// A snapshot replaced the replica: connections close, clients reconnect.
    mutating func installZooKeeper(_ state: ZooKeeper.StateMachine, _ output: inout ServerOutput) {
        performZooKeeper(zooKeeper.onSnapshotInstalled(state), &output)
    }

    /// Builds the member's ZooKeeper server around a restored replica.
    static func makeZooKeeperServer(
        _ configuration: ServerCoreConfiguration, state: ZooKeeper.StateMachine, seed: UInt64
    ) -> ZooKeeper.Server {
        ZooKeeper.Server(
            serverID: configuration.memberID, configuration: configuration.zooKeeper ?? ZooKeeper.ServerConfiguration(), state: state,
            random: SeededRandom(seed: zooKeeperSeed(seed)), sha1: configuration.zooKeeperSHA1 ?? noSHA1)
    }

    /// The ZooKeeper replica a snapshot's bytes hold (empty bytes: an empty tree).
    static func restoreZooKeeper(_ bytes: [UInt8], _ configuration: ServerCoreConfiguration) throws -> ZooKeeper.StateMachine {
        let limits = (configuration.zooKeeper ?? ZooKeeper.ServerConfiguration()).limits
        if bytes.isEmpty { return ZooKeeper.StateMachine(limits: limits) }
        return try ZooKeeper.StateMachine(snapshot: bytes, limits: limits)
    }
}
