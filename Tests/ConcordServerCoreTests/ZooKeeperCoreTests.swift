import ConcordFoundation
import ConcordRaft
import ConcordZooKeeper
import Testing

@testable import ConcordServerCore

/// A ZooKeeper client of a `CoreCluster`: jute bytes built with the
/// ZooKeeper target's own encoders, replies split out of what the cores
/// sent back.
struct ZooKeeperTestClient {
    let connection: UInt64
    var member: UInt64
    var sessionID: Int64 = 0
    var password: [UInt8] = Array(repeating: 0, count: 16)
    var lastZxid: Int64 = 0
    var nextXid: Int32 = 1
    /// Bytes of this connection already split into frames.
    var consumed = 0
    var connected = false
    /// Replies by xid, and watch events in arrival order.
    var replies: [Int32: (header: ZooKeeper.ReplyHeader, body: [UInt8])] = [:]
    var events: [ZooKeeper.WatcherEvent] = []
    /// Every frame in arrival order: a reply's xid, or -1 for an event.
    var order: [Int32] = []

    /// Splits the frames the cluster delivered to this connection.
    mutating func read(_ cluster: CoreCluster) {
        let bytes = cluster.zooKeeperBytes[connection] ?? []
        while bytes.count - consumed >= 4 {
            let length = Int(UInt32(bytes[consumed]) << 24 | UInt32(bytes[consumed + 1]) << 16 | UInt32(bytes[consumed + 2]) << 8 | UInt32(bytes[consumed + 3]))
            guard bytes.count - consumed >= 4 + length else { break }
            let body = Array(bytes[(consumed + 4)..<(consumed + 4 + length)])
            consumed += 4 + length
            if !connected {
                let response = try! ZooKeeper.ConnectResponse(juteEncoded: body)
                connected = response.sessionID != 0
                sessionID = response.sessionID
                password = response.password
                continue
            }
            var reader = ZooKeeper.JuteReader(body)
            let header = try! ZooKeeper.ReplyHeader(jute: &reader)
            let rest = Array(body.dropFirst(ZooKeeper.ReplyHeader.encodedBytes))
            if header.xid == ZooKeeper.ReservedXid.notification {
                events.append(try! ZooKeeper.WatcherEventRecord(juteEncoded: rest).event)
            } else {
                replies[header.xid] = (header, rest)
                if header.zxid > lastZxid { lastZxid = header.zxid }
            }
            order.append(header.xid)
        }
    }

    /// The decoded answer to `xid`, a request of `type`.
    func response(_ xid: Int32, _ type: ZooKeeper.OpCode) -> Result<ZooKeeper.Response, ZooKeeper.ErrorCode>? {
        guard let reply = replies[xid] else { return nil }
        guard reply.header.err == 0 else { return .failure(ZooKeeper.ErrorCode(rawValue: reply.header.err)!) }
        return .success(try! ZooKeeper.Response.decode(requestType: type, body: reply.body[...]))
    }
}

extension CoreCluster {
    /// A cluster whose members serve ZooKeeper clients with 100 ms ticks
    /// (session timeouts of 200 ms to 2 s).
    static func zooKeeper(configure: (inout ServerCoreConfiguration) -> Void = { _ in }) -> CoreCluster {
        CoreCluster {
            $0.zooKeeper = ZooKeeper.ServerConfiguration(tickMilliseconds: 100)
            // No test authenticates: SHA-1 is never called.
            $0.zooKeeperSHA1 = { _ in Issue.record("SHA-1 called"); return [] }
            configure(&$0)
        }
    }

    /// A client connects to `member` (with a session to resume, if given)
    /// and the cluster settles.
    mutating func zkConnect(
        _ connection: UInt64, to member: UInt64, resuming client: ZooKeeperTestClient? = nil, timeout: Int32 = 1_000
    ) -> ZooKeeperTestClient {
        var fresh = ZooKeeperTestClient(connection: connection, member: member)
        if let client {
            fresh.sessionID = client.sessionID
            fresh.password = client.password
            fresh.lastZxid = client.lastZxid
        }
        let request = ZooKeeper.ConnectRequest(
            lastZxidSeen: fresh.lastZxid, timeoutMilliseconds: timeout, sessionID: fresh.sessionID, password: fresh.password,
            readOnly: false)
        perform(member, cores[member]!.onZooKeeperConnected(connection, remoteAddress: "/127.0.0.1:\(connection)", nowMilliseconds: now))
        perform(member, cores[member]!.onZooKeeperBytes(connection, ZooKeeper.Frame.encode(request.juteEncoded), nowMilliseconds: now))
        settle()
        _ = tick(until: { $0.zooKeeperBytes[connection] != nil || $0.zooKeeperClosed.contains(connection) }, ticksMax: 100)
        fresh.read(self)
        return fresh
    }

    /// A client sends a request; returns its xid.
    @discardableResult
    mutating func zkSend(_ client: inout ZooKeeperTestClient, _ request: ZooKeeper.Request) -> Int32 {
        let xid: Int32 =
            switch request {
            case .ping: ZooKeeper.ReservedXid.ping
            default: client.nextXid
            }
        if xid == client.nextXid { client.nextXid += 1 }
        let member = client.member
        perform(member, cores[member]!.onZooKeeperBytes(client.connection, ZooKeeper.Frame.request(xid: xid, request), nowMilliseconds: now))
        return xid
    }

    /// A client sends a request and the cluster runs until it is answered.
    mutating func zkAsk(_ client: inout ZooKeeperTestClient, _ request: ZooKeeper.Request) -> Result<ZooKeeper.Response, ZooKeeper.ErrorCode>? {
        let xid = zkSend(&client, request)
        settle()
        var reader = client
        _ = tick(until: { cluster in
            reader.read(cluster)
            return reader.replies[xid] != nil || cluster.zooKeeperClosed.contains(reader.connection)
        }, ticksMax: 100)
        client.read(self)
        return client.response(xid, request.opCode)
    }

    static func create(_ path: String, _ data: String = "", mode: ZooKeeper.CreateMode = .persistent) -> ZooKeeper.Request {
        .write(.single(.create(ZooKeeper.CreateOperation(path: path, data: Array(data.utf8), mode: mode))))
    }
}

/// The ZooKeeper face on the server core: clients' jute bytes in, answers
/// out, transactions through the Raft log to every member.
@Suite struct ZooKeeperCoreTests {
    static func path(_ result: Result<ZooKeeper.Response, ZooKeeper.ErrorCode>?) -> String? {
        if case .success(.path(let path)) = result { return path }
        return nil
    }

    static func data(_ result: Result<ZooKeeper.Response, ZooKeeper.ErrorCode>?) -> String? {
        if case .success(.data(let data, _)) = result { return String(decoding: data, as: UTF8.self) }
        return nil
    }

    @Test func nodesCreatedThroughAFollowerAreReadOnEveryMemberWithSequentialNames() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let followers = cluster.ids.filter { $0 != leader }
        var writer = cluster.zkConnect(1, to: followers[0])
        #expect(writer.connected && writer.sessionID > 0)
        #expect(Self.path(cluster.zkAsk(&writer, CoreCluster.create("/app", "config"))) == "/app")
        #expect(Self.path(cluster.zkAsk(&writer, CoreCluster.create("/app/job-", mode: .persistentSequential))) == "/app/job-0000000000")
        #expect(Self.path(cluster.zkAsk(&writer, CoreCluster.create("/app/job-", mode: .persistentSequential))) == "/app/job-0000000001")
        #expect(cluster.zkAsk(&writer, CoreCluster.create("/app", "again")) == .failure(.nodeExists))
        for (index, member) in cluster.ids.enumerated() {
            var reader = cluster.zkConnect(UInt64(10 + index), to: member, timeout: 2_000)
            #expect(Self.data(cluster.zkAsk(&reader, .read(.getData(path: "/app", watch: false)))) == "config", "read on n\(member)")
            let children = cluster.zkAsk(&reader, .read(.getChildren(path: "/app", watch: false)))
            #expect(children == .success(.children(["job-0000000000", "job-0000000001"])))
        }
        let replica = cluster.cores[leader]!.zooKeeperState
        for member in cluster.ids {
            #expect(cluster.cores[member]!.zooKeeperState.snapshot() == replica.snapshot(), "n\(member) holds the same replica")
        }
        #expect(replica.lastZxid >= 5)
    }

    @Test func aWatchOnOneMemberFiresBeforeTheNewDataIsSeen() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        var writer = cluster.zkConnect(1, to: leader)
        _ = cluster.zkAsk(&writer, CoreCluster.create("/cfg", "v1"))
        var watcher = cluster.zkConnect(2, to: follower)
        #expect(Self.data(cluster.zkAsk(&watcher, .read(.getData(path: "/cfg", watch: true)))) == "v1")
        #expect(cluster.zkAsk(&writer, .write(.single(.setData(path: "/cfg", data: Array("v2".utf8), version: 0)))) != nil)
        let read = cluster.zkSend(&watcher, .read(.getData(path: "/cfg", watch: false)))
        cluster.settle()
        cluster.tick(3)
        watcher.read(cluster)
        #expect(watcher.events == [ZooKeeper.WatcherEvent(type: .nodeDataChanged, path: "/cfg")])
        #expect(Self.data(watcher.response(read, .getData)) == "v2")
        let eventAt = watcher.order.firstIndex(of: ZooKeeper.ReservedXid.notification)
        let readAt = watcher.order.firstIndex(of: read)
        #expect(eventAt != nil && readAt != nil && eventAt! < readAt!, "the event comes before the answer that shows v2")
        // One-shot: a second change fires nothing.
        _ = cluster.zkAsk(&writer, .write(.single(.setData(path: "/cfg", data: Array("v3".utf8), version: -1))))
        cluster.tick(3)
        watcher.read(cluster)
        #expect(watcher.events.count == 1)
    }

    @Test func anEphemeralNodeGoesWhenItsSessionCloses() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        var owner = cluster.zkConnect(1, to: follower)
        #expect(Self.path(cluster.zkAsk(&owner, CoreCluster.create("/lock", mode: .ephemeral))) == "/lock")
        for member in cluster.ids { #expect(cluster.cores[member]!.zooKeeperState.tree.nodes["/lock"] != nil) }
        #expect(cluster.zkAsk(&owner, .closeSession) == .success(.empty))
        cluster.tick(2)
        #expect(cluster.zooKeeperClosed.contains(1))
        for member in cluster.ids {
            #expect(cluster.cores[member]!.zooKeeperState.tree.nodes["/lock"] == nil, "gone on n\(member)")
            #expect(cluster.cores[member]!.zooKeeperState.sessions[owner.sessionID] == nil)
        }
    }

    @Test func theLeaderExpiresASilentSessionButNotOneThatPingsAFollower() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        var pinging = cluster.zkConnect(1, to: follower, timeout: 400)
        var silent = cluster.zkConnect(2, to: follower, timeout: 400)
        _ = cluster.zkAsk(&pinging, CoreCluster.create("/alive", mode: .ephemeral))
        _ = cluster.zkAsk(&silent, CoreCluster.create("/silent", mode: .ephemeral))
        // Three timeouts pass; only the pinging client speaks, to the follower.
        for _ in 0..<12 {
            cluster.zkSend(&pinging, .ping)
            cluster.tick(10)
        }
        for member in cluster.ids {
            let state = cluster.cores[member]!.zooKeeperState
            #expect(state.tree.nodes["/alive"] != nil, "the follower's touches reached the leader (n\(member))")
            #expect(state.sessions[pinging.sessionID] != nil)
            #expect(state.tree.nodes["/silent"] == nil, "the leader expired the silent session (n\(member))")
            #expect(state.sessions[silent.sessionID] == nil)
        }
        #expect(cluster.zooKeeperClosed.contains(2), "the expired session's connection was closed")
        #expect(!cluster.zooKeeperClosed.contains(1))
    }

    @Test func aSessionMovesToAnotherMemberWithItsEphemerals() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let followers = cluster.ids.filter { $0 != leader }
        var first = cluster.zkConnect(1, to: followers[0])
        _ = cluster.zkAsk(&first, CoreCluster.create("/member", "here", mode: .ephemeral))
        // The client loses its connection and resumes its session elsewhere.
        cluster.perform(followers[0], cluster.cores[followers[0]]!.onZooKeeperDisconnected(1, nowMilliseconds: cluster.now))
        var moved = cluster.zkConnect(2, to: followers[1], resuming: first)
        #expect(moved.connected && moved.sessionID == first.sessionID, "the same session, resumed")
        #expect(Self.data(cluster.zkAsk(&moved, .read(.getData(path: "/member", watch: false)))) == "here")
        for member in cluster.ids {
            #expect(cluster.cores[member]!.zooKeeperState.sessions[first.sessionID]?.owner == followers[1])
        }
        #expect(cluster.cores[followers[1]]!.zooKeeperServer.connection(of: first.sessionID) == 2)
        // The moved session ends cleanly from its new member.
        #expect(cluster.zkAsk(&moved, .closeSession) == .success(.empty))
        cluster.tick(2)
        for member in cluster.ids { #expect(cluster.cores[member]!.zooKeeperState.tree.nodes["/member"] == nil) }
    }

    @Test func snapshotsCarryTheZooKeeperReplicaThroughARestartAndAnInstall() throws {
        var cluster = CoreCluster.zooKeeper { $0.snapshotEveryEntries = 4 }
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        var client = cluster.zkConnect(1, to: leader, timeout: 2_000)
        cluster.isolated = [lagging]
        for index in 0..<10 { _ = cluster.zkAsk(&client, CoreCluster.create("/n\(index)", "\(index)")) }
        _ = cluster.zkAsk(&client, CoreCluster.create("/e", mode: .ephemeral))
        #expect(cluster.cores[leader]!.snapshotIndex > cluster.cores[lagging]!.appliedIndex)
        cluster.isolated = []
        let caughtUp = cluster.tick(until: { $0.cores[lagging]!.appliedIndex == $0.cores[leader]!.appliedIndex }, ticksMax: 300)
        #expect(caughtUp)
        #expect(cluster.events[lagging]!.contains { if case .snapshotInstalled = $0 { return true } else { return false } })
        let expected = cluster.cores[leader]!.zooKeeperState.snapshot()
        #expect(cluster.cores[lagging]!.zooKeeperState.snapshot() == expected, "installed from the leader's snapshot")
        // A restart rebuilds the replica from the durable snapshot and the log.
        try cluster.restart(leader, seed: 99)
        _ = cluster.electLeader()
        _ = cluster.tick(until: { $0.cores[leader]!.appliedIndex >= $0.cores[lagging]!.appliedIndex }, ticksMax: 300)
        #expect(cluster.cores[leader]!.zooKeeperState.snapshot() == expected, "restored after a restart")
        #expect(cluster.cores[leader]!.zooKeeperState.tree.nodes["/e"]?.ephemeralOwner == client.sessionID)
    }

    @Test func aNewLeaderReArmsExpiryAndExpiresASilentSession() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        var client = cluster.zkConnect(1, to: follower, timeout: 1_000)
        _ = cluster.zkAsk(&client, CoreCluster.create("/owned", mode: .ephemeral))
        #expect(cluster.cores[leader]!.zooKeeperServer.expiryDeadline(of: client.sessionID) != nil)
        #expect(cluster.cores[follower]!.zooKeeperServer.expiryDeadline(of: client.sessionID) == nil, "followers decide no expiry")
        cluster.isolated = [leader]
        let elected = cluster.tick(until: { $0.leader != nil && $0.leader != leader }, ticksMax: 300)
        #expect(elected)
        let newLeader = try #require(cluster.leader)
        let deadline = try #require(cluster.cores[newLeader]!.zooKeeperServer.expiryDeadline(of: client.sessionID))
        #expect(deadline >= cluster.now + 1_000 - 2 * cluster.tickMilliseconds * 10, "a full timeout from the takeover")
        // The client falls silent: the new leader expires it, on every live member.
        cluster.perform(follower, cluster.cores[follower]!.onZooKeeperDisconnected(1, nowMilliseconds: cluster.now))
        let expired = cluster.tick(until: { $0.cores[newLeader]!.zooKeeperState.sessions[client.sessionID] == nil }, ticksMax: 300)
        #expect(expired)
        for member in cluster.ids where member != leader {
            #expect(cluster.cores[member]!.zooKeeperState.tree.nodes["/owned"] == nil)
        }
    }

    @Test func aMemberThatServesNoZooKeeperClientsClosesTheirConnectionsButKeepsItsReplica() throws {
        var cluster = CoreCluster.zooKeeper()
        let leader = cluster.electLeader()
        // A member without the ZooKeeper face (a configuration without it, restarted).
        let plain = cluster.ids.first { $0 != leader }!
        cluster.configurations[plain]!.zooKeeper = nil
        try cluster.restart(plain, seed: 7)
        var client = cluster.zkConnect(1, to: leader)
        _ = cluster.zkAsk(&client, CoreCluster.create("/x", "1"))
        cluster.tick(5)
        #expect(cluster.cores[plain]!.zooKeeperState.tree.nodes["/x"] != nil, "it applies the ZooKeeper transactions")
        let refused = cluster.zkConnect(2, to: plain)
        #expect(!refused.connected && cluster.zooKeeperClosed.contains(2))
    }
}

/// The ZooKeeper payloads and frames: round trips and refusals.
@Suite struct ZooKeeperWireTests {
    static let commands: [ZooKeeper.Command] = [
        .createSession(sessionID: 0x1234, timeoutMilliseconds: 4_000, password: Array(0..<16)),
        .reattachSession(sessionID: 9, password: [1, 2]),
        .closeSession(sessionID: 9, reason: .expired),
        .write(sessionID: 3, identities: [], request: .single(.create(ZooKeeper.CreateOperation(path: "/a/b", data: [0, 255], mode: .ephemeralSequential)))),
        .write(sessionID: 3, identities: [], request: .multi([.check(path: "/a", version: 2), .delete(path: "/a", version: -1)])),
        .sync(sessionID: 3, path: "/"),
        .deleteContainer(path: "/c"),
    ]

    @Test(arguments: commands)
    func everyZooKeeperCommandRoundTripsAndBadBytesAreRefused(command: ZooKeeper.Command) throws {
        let payload = LogPayload.zooKeeper(ProposalID(proposer: 3, request: 77), timeMilliseconds: -5, command)
        let bytes = payload.encoded()
        #expect(try LogPayload(decoding: bytes) == payload)
        #expect(payload.proposalID == ProposalID(proposer: 3, request: 77))
        for length in 0..<bytes.count {
            #expect(throws: WireError.self, "prefix of \(length) bytes") { try LogPayload(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: WireError.self) { try LogPayload(decoding: bytes + [0]) }
        var unknownCommand = bytes
        unknownCommand[LogPayload.headerBytes + 8] = 0xEE
        #expect(throws: WireError.self) { try LogPayload(decoding: unknownCommand) }
    }

    @Test func touchedSessionsTravelInAPeerFrameOfTheCluster() throws {
        let frame = PeerFrame.zooKeeperSessionsTouched([1, -2, .max])
        let bytes = frame.encoded(from: 1, to: 2, clusterID: 77)
        #expect(try PeerFrame.decode(bytes, clusterID: 77) == PeerFrame.Addressed(from: 1, to: 2, frame: frame))
        #expect(throws: WireError.self) { try PeerFrame.decode(bytes, clusterID: 78) }
        for length in PeerFrame.headerBytes..<bytes.count {
            #expect(throws: WireError.self) { try PeerFrame.decode(Array(bytes.prefix(length)), clusterID: 77) }
        }
        #expect(throws: WireError.self) { try PeerFrame.decode(bytes + [0], clusterID: 77) }
        var huge = bytes
        huge[PeerFrame.headerBytes] = 0xFF
        #expect(throws: WireError.self, "a count the frame cannot hold") { try PeerFrame.decode(huge, clusterID: 77) }
    }

    @Test func snapshotsCarryTheZooKeeperReplicaAndVersionThreeStillLoads() throws {
        var replica = ZooKeeper.StateMachine()
        _ = replica.apply(ZooKeeper.Transaction(
            origin: ZooKeeper.Origin(server: 1, tag: 0), timeMilliseconds: 10,
            command: .createSession(sessionID: 5, timeoutMilliseconds: 1_000, password: [1])))
        let registry = MemberRegistry(clusterID: 5)
        let snapshot = ServerSnapshot(registry: registry, zooKeeper: replica.snapshot(), stateMachine: [1, 2, 3])
        let decoded = try ServerSnapshot(decoding: snapshot.encoded)
        #expect(decoded == snapshot)
        #expect(replica.lastZxid == 1)
        #expect(try ZooKeeper.StateMachine(snapshot: decoded.zooKeeper).snapshot() == replica.snapshot())
        var versionThree = BinaryWriter()
        versionThree.writeRaw(ServerSnapshot.magic)
        versionThree.writeByte(3)
        versionThree.writeFixedLengthBytes(registry.encoded)
        AppliedProposals(capacity: 8).write(to: &versionThree)
        var auth = BinaryWriter()
        AuthStore().write(to: &auth)
        versionThree.writeFixedLengthBytes(auth.bytes)
        versionThree.writeRaw([1, 2, 3])
        let old = try ServerSnapshot(decoding: versionThree.bytes)
        #expect(old.zooKeeper.isEmpty)
        #expect(old.stateMachine == [1, 2, 3])
    }
}
