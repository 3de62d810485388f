import ConcordKV
import ConcordRaft
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// The simulator's shell around a `ServerCore`: the same core the runtime's
/// `ConcordNode` drives, with the simulator's clock, network and disk.
///
/// It performs the core's outputs in the order `ServerOutput` documents:
/// identity changes are noted, persist requests go through Concord's real
/// storage code to the crash-simulating disk (`ServerLabDisk`), frames are
/// sent encoded (so the real codec runs), replies go back to the clients
/// that asked, watch streams with work are drained to their clients, a
/// flush of queued proposals is scheduled after `flushDelay`, and a
/// snapshot the core hands out to encode comes back encoded after
/// `snapshotEncodeDelay` (unless the server crashed meanwhile).
struct ServerLabServer {
    static let tickTimer = TimerID(1)
    static let flushTimer = TimerID(2)
    static let snapshotTimer = TimerID(3)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    let id: NodeID
    let settings: ServerLabSettings
    let monitor: ServerLabMonitor
    /// Nil when the disk was refused (damaged) or the member was removed:
    /// the node then does nothing.
    private(set) var core: ServerCore?
    private var disk: ServerLabDisk?
    /// Which client asked each request in flight, and its own number.
    private var owners: [ClientRequestID: (client: NodeID, number: UInt64)] = [:]
    private var nextRequest: ClientRequestID = 1
    /// Watch streams by the client's tag, and back.
    private var streamsByTag: [WatchTag: Int64] = [:]
    private var tagsByStream: [Int64: WatchTag] = [:]
    /// The number of the last message sent on each stream.
    private var sentOnStream: [Int64: UInt64] = [:]
    /// The highest request number seen from each client: a client has one
    /// request in flight, so anything older is a duplicate or a straggler
    /// the network delivered late (a connection would deliver neither).
    private var lastRequestNumber: [NodeID: UInt64] = [:]
    /// The peers the core asked to be connected to.
    private var connected: Set<UInt64> = []
    private var flushArmed = false
    /// The snapshot being encoded (`snapshotEncodeDelay`); a crash loses it.
    private var encoding: SnapshotCapture?
    /// Why the disk was refused, if it was.
    private(set) var refusal: String?
    /// Peer frames sent, for the benchmark.
    private(set) var framesSent = 0
    /// Open ZooKeeper connections: the client and the last sequence
    /// number received from it and sent to it.
    private var zooKeeperConnections: [UInt64: (client: NodeID, received: UInt64, sent: UInt64)] = [:]
    /// ZooKeeper connections closed here, so that a late duplicate of a
    /// first message opens nothing.
    private var closedZooKeeperConnections: Set<UInt64> = []

    struct WatchTag: Hashable {
        var client: NodeID
        var tag: UInt64
    }

    /// The most watch responses sent to a client in one message.
    static let watchResponsesPerMessageMax = 16

    init(id: NodeID, durable: Storage.SimulatedFileSystem?, settings: ServerLabSettings, monitor: ServerLabMonitor, context: inout Context) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let configuration = settings.coreConfiguration(for: id)
        monitor.restarted(id)
        do {
            let disk = try ServerLabDisk(
                files: durable, bootstrap: ServerCore.bootstrapState(configuration), segmentBytes: settings.segmentBytes,
                random: &context.random)
            let state = try disk.load()
            core = try ServerCore(
                configuration: configuration, durable: state, seed: context.random.next(), nowMilliseconds: Self.milliseconds(context.now),
                snapshotFiles: disk.store)
            if durable == nil {
                // Registers the disk with the simulator, so that a restart finds it.
                _ = context.persist(disk.files)
            }
            self.disk = disk
        } catch {
            refusal = "\(error)"
            monitor.refused(id, "\(error)")
            context.log("n\(id) refused its data: \(error)")
            return
        }
        context.setTimer(Self.tickTimer, after: settings.tick)
        perform(core!.start(nowMilliseconds: Self.milliseconds(context.now)), &context)
    }

    static func milliseconds(_ instant: SimulationInstant) -> Int64 {
        instant.nanoseconds / 1_000_000
    }

    /// True while this server serves (its disk opened and it was not removed).
    var isServing: Bool { core != nil && !(core?.isRemovedFromCluster ?? true) }

    // MARK: Inputs

    // The core is mutated in place (`core!.…`): a local copy would make
    // every input copy the whole store.

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        guard core != nil else { return }
        let now = Self.milliseconds(context.now)
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tick)
            perform(core!.onTick(nowMilliseconds: now), &context)
        case Self.flushTimer:
            flushArmed = false
            perform(core!.onFlush(nowMilliseconds: now), &context)
        case Self.snapshotTimer:
            guard let capture = encoding else { return }
            encoding = nil
            perform(core!.onSnapshotEncoded(index: capture.index, data: capture.encoded(), nowMilliseconds: now), &context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        guard core != nil, let sequence = disk?.durable(upTo: token) else { return }
        perform(core!.onPersisted(upTo: sequence, nowMilliseconds: Self.milliseconds(context.now)), &context)
    }

    mutating func onMessage(_ message: ServerLabMessage, from sender: NodeID, context: inout Context) {
        guard core != nil else { return }
        let now = Self.milliseconds(context.now)
        switch message {
        case .peer(let bytes):
            perform(core!.onPeerFrame(bytes, from: UInt64(sender), nowMilliseconds: now), &context)
        case .request(let number, let request):
            guard number > lastRequestNumber[sender, default: 0] else { return }
            lastRequestNumber[sender] = number
            let requestID = nextRequest
            nextRequest += 1
            owners[requestID] = (sender, number)
            perform(core!.onRequest(requestID, request, nowMilliseconds: now), &context)
        case .watchCreate(let tag, let create):
            let key = WatchTag(client: sender, tag: tag)
            // A duplicate of a create already taken is dropped.
            guard streamsByTag[key] == nil else { return }
            let stream = core!.openWatchStream()
            streamsByTag[key] = stream
            tagsByStream[stream] = key
            if core!.onWatchRequest(stream: stream, .create(create)) { drainWatch(stream, &context) }
        case .watchProgress(let tag):
            guard let stream = streamsByTag[WatchTag(client: sender, tag: tag)] else {
                context.send(.watchUnknown(tag: tag), to: sender)
                return
            }
            _ = core!.onWatchRequest(stream: stream, .progress)
            drainWatch(stream, &context)
        case .zooKeeper(let connection, let sequence, let bytes):
            receiveZooKeeper(connection, sequence, bytes, from: sender, now: now, &context)
        case .zooKeeperClose(let connection):
            guard zooKeeperConnections.removeValue(forKey: connection) != nil else { return }
            closedZooKeeperConnections.insert(connection)
            perform(core!.onZooKeeperDisconnected(connection, nowMilliseconds: now), &context)
        case .reply, .watchResponses, .watchUnknown:
            break
        }
    }

    /// Bytes on a ZooKeeper connection: the next in sequence go to the
    /// core; a gap breaks the connection; bytes for a connection this
    /// server does not know (it restarted, or closed it) close it.
    private mutating func receiveZooKeeper(
        _ connection: UInt64, _ sequence: UInt64, _ bytes: [UInt8], from sender: NodeID, now: Int64, _ context: inout Context
    ) {
        guard let known = zooKeeperConnections[connection] else {
            guard sequence == 1, !closedZooKeeperConnections.contains(connection) else {
                context.send(.zooKeeperClose(connection: connection), to: sender)
                return
            }
            zooKeeperConnections[connection] = (sender, 1, 0)
            perform(core!.onZooKeeperConnected(connection, remoteAddress: "/sim:\(sender)", nowMilliseconds: now), &context)
            guard core != nil else { return }
            perform(core!.onZooKeeperBytes(connection, bytes, nowMilliseconds: now), &context)
            return
        }
        guard sequence > known.received else { return }
        guard sequence == known.received + 1 else {
            zooKeeperConnections[connection] = nil
            closedZooKeeperConnections.insert(connection)
            context.send(.zooKeeperClose(connection: connection), to: known.client)
            perform(core!.onZooKeeperDisconnected(connection, nowMilliseconds: now), &context)
            return
        }
        zooKeeperConnections[connection]!.received = sequence
        perform(core!.onZooKeeperBytes(connection, bytes, nowMilliseconds: now), &context)
    }

    // MARK: Effects

    private mutating func perform(_ output: ServerOutput, _ context: inout Context) {
        if let fatal = output.fatal {
            monitor.violation("n\(id) stopped: \(fatal)")
            core = nil
            return
        }
        for change in output.identity {
            context.log("n\(id) identity: \(change)")
        }
        if !output.persist.isEmpty { disk?.persist(output.persist, &context) }
        if let core, !output.frames.isEmpty {
            for outgoing in output.frames where connected.contains(outgoing.to) {
                let bytes = outgoing.frame.encoded(from: UInt64(id), to: outgoing.to, clusterID: core.clusterID)
                context.send(.peer(bytes), to: NodeID(outgoing.to))
                framesSent += 1
            }
        }
        for reply in output.replies {
            guard let owner = owners.removeValue(forKey: reply.request) else { continue }
            context.send(.reply(owner.number, reply), to: owner.client)
        }
        for stream in output.watchStreamsWithWork { drainWatch(stream, &context) }
        for effect in output.zooKeeper {
            switch effect {
            case .send(let connection, let bytes):
                guard zooKeeperConnections[connection] != nil else { continue }
                zooKeeperConnections[connection]!.sent += 1
                let known = zooKeeperConnections[connection]!
                context.send(.zooKeeper(connection: connection, sequence: known.sent, bytes), to: known.client)
            case .close(let connection):
                guard let known = zooKeeperConnections.removeValue(forKey: connection) else { continue }
                closedZooKeeperConnections.insert(connection)
                context.send(.zooKeeperClose(connection: connection), to: known.client)
            }
        }
        for change in output.peerChanges {
            switch change {
            case .connect(let peer, _): connected.insert(peer)
            case .disconnect(let peer): connected.remove(peer)
            }
        }
        if output.flushRequested && !flushArmed {
            flushArmed = true
            context.setTimer(Self.flushTimer, after: settings.flushDelay)
        }
        if let capture = output.snapshotToEncode, let delay = settings.snapshotEncodeDelay {
            encoding = capture
            context.setTimer(Self.snapshotTimer, after: delay)
        }
        for entry in output.appliedEntries { monitor.applied(entry, by: id) }
        for event in output.events {
            switch event {
            case .roleChanged(let change):
                context.log("n\(id) \(change.role.rawValue) term \(change.term) leader \(change.leader.map { "n\($0)" } ?? "none")")
                if change.role == .leader { monitor.leader(id, term: change.term) }
            case .snapshotTaken(let index, _):
                context.log("n\(id) snapshot at \(index)")
            case .snapshotInstalled(let index, _):
                context.log("n\(id) installed snapshot \(index)")
            case .memberChangeApplied(let index, let command):
                context.log("n\(id) applied member change at \(index): \(command)")
            case .skippedEntry(let index, let reason):
                monitor.violation("n\(id) skipped entry \(index): \(reason)")
            default:
                break
            }
        }
        if let core {
            monitor.tolerated(core.toleratedViolations, by: id)
            if core.isRemovedFromCluster {
                context.log("n\(id) removed from the cluster; stops serving")
                monitor.removed(id)
                self.core = nil
            }
        }
    }

    /// Sends stream `stream`'s queued responses to its client.
    private mutating func drainWatch(_ stream: Int64, _ context: inout Context) {
        guard core != nil, let key = tagsByStream[stream] else { return }
        var moreWaiting = true
        var rounds = 0
        while moreWaiting && rounds < 64 {
            let taken = core!.takeWatchResponses(stream: stream, maxResponses: Self.watchResponsesPerMessageMax)
            moreWaiting = taken.moreWaiting
            rounds += 1
            if !taken.responses.isEmpty {
                let sequence = sentOnStream[stream, default: 0] + 1
                sentOnStream[stream] = sequence
                context.send(.watchResponses(tag: key.tag, sequence: sequence, taken.responses), to: key.client)
            }
        }
    }
}
