import ConcordKV
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// A tiny in-test cluster of server cores: frames delivered in FIFO order
/// (or dropped at a cut), persist requests durable at the next step, time
/// advanced by ticks. Every output is performed as `ServerOutput` documents.
struct CoreCluster {
    var cores: [UInt64: ServerCore] = [:]
    let ids: [UInt64]
    var now: Int64 = 0
    let tickMilliseconds: Int64 = 10
    var frames: [(from: UInt64, to: UInt64, bytes: [UInt8])] = []
    var replies: [ClientRequestID: ServerReply] = [:]
    var events: [UInt64: [ServerEvent]] = [:]
    var watchWork: [UInt64: Set<Int64>] = [:]
    /// Members whose frames (both ways) are dropped.
    var isolated: Set<UInt64> = []
    /// Frames to duplicate: those whose bytes satisfy this, delivered twice.
    var duplicates: (([UInt8]) -> Bool)?
    /// What each member made durable, as the write-ahead log would hold it.
    var storage: [UInt64: MemoryRaftStorage] = [:]
    var configurations: [UInt64: ServerCoreConfiguration] = [:]
    /// Bytes each ZooKeeper connection received, and the connections the
    /// cores closed.
    var zooKeeperBytes: [UInt64: [UInt8]] = [:]
    var zooKeeperClosed: Set<UInt64> = []
    /// Snapshots the cores handed out to encode (`encodesSnapshotsInShell`),
    /// per member, in order; a test encodes them and hands them back.
    var snapshotsToEncode: [UInt64: [SnapshotCapture]] = [:]
    private var persisted: [UInt64: UInt64] = [:]
    private var flushes: Set<UInt64> = []
    private var nextRequest: ClientRequestID = 1

    init(size: Int = 3, configure: (inout ServerCoreConfiguration) -> Void = { _ in }) {
        ids = (1...UInt64(size)).map { $0 }
        let initial = ids.map { InitialMember(name: "n\($0)", peerURL: "test://n\($0)", foundingID: $0, joiningID: $0) }
        for id in ids {
            var configuration = ServerCoreConfiguration(
                memberID: id, name: "n\(id)", clusterID: 77, joinedRunningCluster: false, initialMembers: initial,
                clientURLs: ["test://client/n\(id)"])
            configuration.tickMilliseconds = Int(tickMilliseconds)
            configuration.raft.electionTimeoutTicks = 10
            configuration.raft.heartbeatIntervalTicks = 1
            configure(&configuration)
            let bootstrap = ServerCore.bootstrapState(configuration)
            let core = try! ServerCore(configuration: configuration, durable: bootstrap, seed: id, nowMilliseconds: 0)
            cores[id] = core
            configurations[id] = configuration
            storage[id] = MemoryRaftStorage(bootstrap)
        }
        for id in ids { perform(id, cores[id]!.start(nowMilliseconds: now)) }
    }

    mutating func perform(_ id: UInt64, _ output: ServerOutput) {
        precondition(output.fatal == nil, "\(output.fatal!)")
        for request in output.persist {
            try! storage[id]!.persist(request)
            persisted[id] = request.sequence
        }
        for outgoing in output.frames {
            let bytes = outgoing.frame.encoded(from: id, to: outgoing.to, clusterID: cores[id]!.clusterID)
            frames.append((id, outgoing.to, bytes))
            if duplicates?(bytes) == true { frames.append((id, outgoing.to, bytes)) }
        }
        for reply in output.replies { replies[reply.request] = reply }
        events[id, default: []] += output.events
        watchWork[id, default: []].formUnion(output.watchStreamsWithWork)
        if output.flushRequested { flushes.insert(id) }
        if let capture = output.snapshotToEncode { snapshotsToEncode[id, default: []].append(capture) }
        for effect in output.zooKeeper {
            switch effect {
            case .send(let connection, let bytes): zooKeeperBytes[connection, default: []] += bytes
            case .close(let connection): zooKeeperClosed.insert(connection)
            }
        }
    }

    /// Delivers every frame in flight, completes every persist request and
    /// flush, until nothing is left.
    mutating func settle() {
        var rounds = 0
        while !frames.isEmpty || !persisted.isEmpty || !flushes.isEmpty {
            rounds += 1
            precondition(rounds < 10_000, "the cluster does not settle")
            for id in flushes.sorted() {
                flushes.remove(id)
                perform(id, cores[id]!.onFlush(nowMilliseconds: now))
            }
            for (id, sequence) in persisted.sorted(by: { $0.key < $1.key }) {
                persisted[id] = nil
                perform(id, cores[id]!.onPersisted(upTo: sequence, nowMilliseconds: now))
            }
            let batch = frames
            frames = []
            for frame in batch where !isolated.contains(frame.from) && !isolated.contains(frame.to) {
                guard cores[frame.to] != nil else { continue }
                perform(frame.to, cores[frame.to]!.onPeerFrame(frame.bytes, from: frame.from, nowMilliseconds: now))
            }
        }
    }

    /// Crashes member `id` (losing everything not yet durable: persist
    /// requests here are durable as soon as they are handed out) and starts
    /// it again from its storage.
    mutating func restart(_ id: UInt64, seed: UInt64) throws {
        persisted[id] = nil
        flushes.remove(id)
        frames.removeAll { $0.to == id || $0.from == id }
        cores[id] = try ServerCore(configuration: configurations[id]!, durable: storage[id]!.state, seed: seed, nowMilliseconds: now)
        perform(id, cores[id]!.start(nowMilliseconds: now))
    }

    /// Advances time by `count` ticks, settling after each.
    mutating func tick(_ count: Int = 1) {
        for _ in 0..<count {
            now += tickMilliseconds
            for id in ids where cores[id] != nil { perform(id, cores[id]!.onTick(nowMilliseconds: now)) }
            settle()
        }
    }

    /// Ticks until `condition` holds, for at most `ticksMax` ticks.
    mutating func tick(until condition: (CoreCluster) -> Bool, ticksMax: Int = 2000) -> Bool {
        for _ in 0..<ticksMax {
            if condition(self) { return true }
            tick()
        }
        return condition(self)
    }

    /// The member every live member follows, once there is one.
    var leader: UInt64? {
        let live = ids.filter { !isolated.contains($0) }
        guard let candidate = live.first(where: { cores[$0]!.role == .leader }) else { return nil }
        return live.allSatisfy { cores[$0]!.leader == candidate } ? candidate : nil
    }

    mutating func electLeader() -> UInt64 {
        let elected = tick(until: { $0.leader != nil })
        #expect(elected, "no leader elected")
        return leader!
    }

    /// Sends `request` to `member`; returns its id.
    mutating func send(_ request: ClientRequest, to member: UInt64, caller: AuthCaller? = nil) -> ClientRequestID {
        let id = nextRequest
        nextRequest += 1
        perform(member, cores[member]!.onRequest(id, request, caller: caller, nowMilliseconds: now))
        return id
    }

    /// Sends `request` to `member` and ticks until it is answered.
    mutating func ask(_ request: ClientRequest, to member: UInt64, caller: AuthCaller? = nil, ticksMax: Int = 500) -> ServerReply? {
        let id = send(request, to: member, caller: caller)
        settle()
        _ = tick(until: { $0.replies[id] != nil }, ticksMax: ticksMax)
        return replies[id]
    }

    static func put(_ key: String, _ value: String, lease: Int64 = 0) -> ClientRequest {
        .write(.put(PutRequest(key: Array(key.utf8), value: Array(value.utf8), lease: lease)))
    }

    static func get(_ key: String, serializable: Bool = false) -> ClientRequest {
        .range(RangeRequest(key: Array(key.utf8), serializable: serializable))
    }
}

extension ServerReply {
    /// The values a range answered.
    var values: [String]? {
        guard case .success(.range(let response)) = result else { return nil }
        return response.kvs.map { String(decoding: $0.value, as: UTF8.self) }
    }

    var isSuccess: Bool {
        if case .success = result { return true }
        return false
    }

    var failure: RequestFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }
}
