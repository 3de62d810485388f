import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

@Suite("ZooKeeper server: connections, FIFO answers, watches, sessions")
struct ServerTests {
    @Test("a client connects, gets a session with a negotiated timeout, and its requests are answered")
    func connectAndServe() throws {
        var cluster = TestCluster(count: 1)
        cluster.connect(1, to: 0, timeout: 500)
        #expect(cluster.received[1]?.connect == nil)  // the session is in the log, not yet committed
        cluster.settle()
        let connect = try #require(cluster.received[1]?.connect)
        #expect(connect.timeoutMilliseconds == 4_000)  // raised to 2 ticks
        #expect(connect.sessionID > 0 && connect.password.count == 16 && connect.readOnly == false)
        #expect(cluster.servers[0].state.sessions[connect.sessionID] != nil)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/a", data: bytes("x"), mode: .persistent)))))
        cluster.request(1, xid: 2, .read(.getData(path: "/a", watch: false)))
        // The read waits behind the write: nothing is answered before the write commits.
        #expect(cluster.frames(1).isEmpty)
        cluster.settle()
        #expect(cluster.frames(1).map(\.header.xid) == [1, 2])
        #expect(cluster.response(1, xid: 1, type: .create) == .success(.path("/a")))
        guard case .success(.data(let data, let stat))? = cluster.response(1, xid: 2, type: .getData) else { Issue.record("no data"); return }
        #expect(data == bytes("x") && stat.mzxid == cluster.reply(1, xid: 1)!.header.zxid)
        cluster.request(1, xid: -2, .ping)
        #expect(cluster.reply(1, xid: -2)?.header.err == 0)
    }

    @Test("errors are ZooKeeper's codes in the reply header, with no body")
    func errorReplies() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .read(.getData(path: "/none", watch: false)))
        cluster.request(1, xid: 2, .read(.exists(path: "no-slash", watch: false)))
        cluster.request(1, xid: 3, .write(.single(.create(.init(path: "/a//b", mode: .persistent)))))
        cluster.settle()
        #expect(cluster.response(1, xid: 1, type: .getData) == .failure(.noNode))
        #expect(cluster.response(1, xid: 2, type: .exists) == .failure(.badArguments))
        #expect(cluster.response(1, xid: 3, type: .create) == .failure(.badArguments))
        #expect(cluster.frames(1).allSatisfy { $0.header.err == 0 || $0.body.isEmpty })
        // An unknown op code and a malformed body are answered, in order, and the connection stays.
        cluster.send(1, to: 0, ZooKeeper.Frame.encode(int(4) + int(999)))
        cluster.send(1, to: 0, ZooKeeper.Frame.encode(int(5) + int(4) + string("/a")))
        cluster.request(1, xid: 6, .read(.exists(path: "/", watch: false)))
        #expect(cluster.reply(1, xid: 4)?.header.err == ZooKeeper.ErrorCode.unimplemented.rawValue)
        #expect(cluster.reply(1, xid: 5)?.header.err == ZooKeeper.ErrorCode.marshallingError.rawValue)
        #expect(cluster.reply(1, xid: 6)?.header.err == 0)
        #expect(!cluster.closed.contains(1))
    }

    @Test("malformed frames, absurd lengths and garbage connects close the connection; the server keeps serving")
    func badInputCloses() {
        var cluster = TestCluster(count: 1)
        cluster.send(1, to: 0, int(-5))
        #expect(cluster.closed.contains(1))
        cluster.send(2, to: 0, int(0x7FFF_FFF0))
        #expect(cluster.closed.contains(2))
        cluster.send(3, to: 0, ZooKeeper.Frame.encode([1, 2, 3]))
        #expect(cluster.closed.contains(3))
        _ = cluster.openSession(4, on: 0)
        cluster.send(4, to: 0, ZooKeeper.Frame.encode([0, 0, 1]))  // shorter than a request header
        #expect(cluster.closed.contains(4))
        #expect(cluster.servers[0].connectionCount == 0)
        let connect = cluster.openSession(5, on: 0)
        #expect(connect.sessionID > 0)
        cluster.request(5, xid: 1, .read(.exists(path: "/", watch: false)))
        #expect(cluster.reply(5, xid: 1)?.header.err == 0)
    }

    @Test("a watch event reaches the client before any answer that shows the change")
    func watchEventBeforeNewData() throws {
        var cluster = TestCluster(count: 2)
        _ = cluster.openSession(1, on: 0)
        _ = cluster.openSession(2, on: 1)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/w", data: bytes("1"), mode: .persistent)))))
        cluster.settle()
        cluster.request(2, xid: 1, .read(.getData(path: "/w", watch: true)))
        cluster.request(2, xid: 2, .read(.getChildren(path: "/", watch: true)))
        let before = cluster.frames(2).count
        cluster.request(1, xid: 2, .write(.single(.setData(path: "/w", data: bytes("2"), version: -1))))
        cluster.request(1, xid: 3, .write(.single(.create(.init(path: "/w2", mode: .persistent)))))
        cluster.commit()
        cluster.deliver(to: 1)
        cluster.request(2, xid: 3, .read(.getData(path: "/w", watch: false)))
        let seen = cluster.frames(2, from: before)
        #expect(seen.map(\.header.xid) == [-1, -1, 3])
        #expect(cluster.events(2) == [.init(type: .nodeDataChanged, path: "/w"), .init(type: .nodeChildrenChanged, path: "/")])
        // One-shot: a second change fires nothing.
        cluster.request(1, xid: 4, .write(.single(.setData(path: "/w", data: bytes("3"), version: -1))))
        cluster.settle()
        #expect(cluster.events(2).count == 2)
    }

    @Test("a read queued behind the session's own write sees the event first, then the new data")
    func ownWriteThenRead() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/o", mode: .persistent)))))
        cluster.request(1, xid: 2, .read(.exists(path: "/o", watch: true)))
        cluster.settle()
        let start = cluster.frames(1).count
        cluster.request(1, xid: 3, .write(.single(.setData(path: "/o", data: bytes("n"), version: -1))))
        cluster.request(1, xid: 4, .read(.getData(path: "/o", watch: false)))
        cluster.settle()
        #expect(cluster.frames(1, from: start).map(\.header.xid) == [-1, 3, 4])
    }

    @Test("with the late-delivery bug, the same sequence answers before the event")
    func lateDeliveryBug() {
        var cluster = TestCluster(count: 1, configuration: ZooKeeper.ServerConfiguration(bugs: .init(deliversWatchEventsLate: true)))
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/o", mode: .persistent)))))
        cluster.request(1, xid: 2, .read(.exists(path: "/o", watch: true)))
        cluster.settle()
        let start = cluster.frames(1).count
        cluster.request(1, xid: 3, .write(.single(.setData(path: "/o", data: bytes("n"), version: -1))))
        cluster.request(1, xid: 4, .read(.getData(path: "/o", watch: false)))
        cluster.settle()
        #expect(cluster.frames(1, from: start).map(\.header.xid) == [3, 4, -1])
    }

    @Test("a client that has seen a newer zxid is refused by a replica that is behind; with the bug it is served an older state")
    func neverGoBack() throws {
        for bug in [false, true] {
            var cluster = TestCluster(count: 2, configuration: ZooKeeper.ServerConfiguration(bugs: .init(acceptsClientsAhead: bug)))
            let session = cluster.openSession(1, on: 0)
            cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/n", mode: .persistent)))))
            cluster.commit()
            cluster.deliver(to: 0)  // server 1 stays behind
            let seen = try #require(cluster.reply(1, xid: 1)).header.zxid
            cluster.disconnect(1)
            cluster.connect(2, to: 1, sessionID: session.sessionID, password: session.password, lastZxid: seen)
            #expect(cluster.closed.contains(2) == !bug)
            if bug {
                #expect(cluster.received[2]?.connect?.sessionID == session.sessionID)
                cluster.request(2, xid: 2, .read(.exists(path: "/n", watch: false)))
                let reply = try #require(cluster.reply(2, xid: 2))
                #expect(reply.header.zxid < seen && reply.header.err == ZooKeeper.ErrorCode.noNode.rawValue)
            }
        }
    }

    @Test("a session moves to another server with its ephemerals and re-registered watches; the old connection is closed")
    func sessionMoves() throws {
        var cluster = TestCluster(count: 3)
        let session = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/eph", mode: .ephemeral)))))
        cluster.request(1, xid: 2, .read(.exists(path: "/watched", watch: true)))
        cluster.settle()
        let lastZxid = cluster.frames(1).map(\.header.zxid).max()!
        // The client moves to server 2 while its old connection is still open.
        cluster.connect(2, to: 2, sessionID: session.sessionID, password: session.password, lastZxid: lastZxid)
        cluster.settle()
        #expect(cluster.received[2]?.connect?.sessionID == session.sessionID)
        #expect(cluster.closed.contains(1))
        #expect(cluster.servers.allSatisfy { $0.state.sessions[session.sessionID]?.owner == 3 })
        cluster.request(2, xid: -8, .setWatches(.init(relativeZxid: lastZxid, existWatches: ["/watched"])))
        cluster.request(2, xid: 3, .read(.getEphemerals(prefix: "/")))
        cluster.settle()
        #expect(cluster.response(2, xid: 3, type: .getEphemerals) == .success(.paths(["/eph"])))
        // Another client creates the watched node: the event goes to the new connection.
        _ = cluster.openSession(3, on: 1)
        cluster.request(3, xid: 1, .write(.single(.create(.init(path: "/watched", mode: .persistent)))))
        cluster.settle()
        #expect(cluster.events(2) == [.init(type: .nodeCreated, path: "/watched")])
        // A wrong password is refused with an invalid-session answer.
        cluster.connect(4, to: 1, sessionID: session.sessionID, password: Array(repeating: 1, count: 16), lastZxid: 0)
        cluster.settle()
        #expect(cluster.received[4]?.connect?.timeoutMilliseconds == 0)
        #expect(cluster.closed.contains(4))
    }

    @Test("setWatches fires at once for nodes that changed after the client's zxid")
    func setWatchesCatchesUp() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/d", mode: .persistent)))))
        cluster.request(1, xid: 2, .write(.single(.create(.init(path: "/k", mode: .persistent)))))
        cluster.settle()
        let zxid = cluster.reply(1, xid: 2)!.header.zxid
        cluster.request(1, xid: 3, .write(.single(.setData(path: "/d", data: [1], version: -1))))
        cluster.request(1, xid: 4, .write(.single(.create(.init(path: "/k/c", mode: .persistent)))))
        cluster.request(1, xid: 5, .write(.single(.create(.init(path: "/e", mode: .persistent)))))
        cluster.settle()
        cluster.request(1, xid: -8, .setWatches(.init(
            relativeZxid: zxid, dataWatches: ["/d", "/gone"], existWatches: ["/e", "/absent"], childWatches: ["/k", "/"])))
        #expect(cluster.events(1) == [
            .init(type: .nodeDataChanged, path: "/d"), .init(type: .nodeDeleted, path: "/gone"),
            .init(type: .nodeCreated, path: "/e"), .init(type: .nodeChildrenChanged, path: "/k"),
            .init(type: .nodeChildrenChanged, path: "/"),
        ])
        #expect(cluster.reply(1, xid: -8)?.header.err == 0)
        cluster.request(1, xid: 6, .checkWatches(path: "/absent", type: .data))
        cluster.request(1, xid: 7, .checkWatches(path: "/d", type: .data))
        #expect(cluster.reply(1, xid: 6)?.header.err == 0)
        #expect(cluster.reply(1, xid: 7)?.header.err == ZooKeeper.ErrorCode.noWatcher.rawValue)
    }

    @Test("persistent and recursive watches keep firing; removeWatches removes them")
    func persistentWatches() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        _ = cluster.openSession(2, on: 0)
        cluster.request(1, xid: 1, .addWatch(path: "/p", mode: .persistent))
        cluster.request(1, xid: 2, .addWatch(path: "/r", mode: .persistentRecursive))
        #expect(cluster.response(1, xid: 1, type: .addWatch) == .success(.watchAdded))
        for (xid, path) in [(1, "/p"), (2, "/p/c"), (3, "/r"), (4, "/r/a"), (5, "/r/a/b")] {
            cluster.request(2, xid: Int32(xid), .write(.single(.create(.init(path: path, mode: .persistent)))))
        }
        cluster.request(2, xid: 6, .write(.single(.setData(path: "/p", data: [1], version: -1))))
        cluster.request(2, xid: 7, .write(.single(.setData(path: "/r/a/b", data: [1], version: -1))))
        cluster.settle()
        #expect(cluster.events(1) == [
            .init(type: .nodeCreated, path: "/p"), .init(type: .nodeChildrenChanged, path: "/p"),
            .init(type: .nodeCreated, path: "/r"), .init(type: .nodeCreated, path: "/r/a"), .init(type: .nodeCreated, path: "/r/a/b"),
            .init(type: .nodeDataChanged, path: "/p"), .init(type: .nodeDataChanged, path: "/r/a/b"),
        ])
        cluster.request(1, xid: 3, .removeWatches(path: "/r", type: .any))
        cluster.request(1, xid: 4, .removeWatches(path: "/r", type: .any))
        #expect(cluster.reply(1, xid: 3)?.header.err == 0)
        #expect(cluster.reply(1, xid: 4)?.header.err == ZooKeeper.ErrorCode.noWatcher.rawValue)
        cluster.request(2, xid: 8, .write(.single(.setData(path: "/r/a", data: [2], version: -1))))
        cluster.settle()
        #expect(cluster.events(1).count == 7)
    }

    @Test("digest authentication: the auth packet proves an identity that ACLs then admit")
    func authentication() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        _ = cluster.openSession(2, on: 0)
        cluster.request(1, xid: -4, .authenticate(scheme: "digest", credential: bytes("alice:secret")))
        #expect(cluster.reply(1, xid: -4) .map { ($0.header.err, $0.header.zxid) } ?? (-1, -1) == (0, 0))
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/private", data: bytes("s"), acl: ZooKeeper.ACL.creatorAll, mode: .persistent)))))
        cluster.settle()
        #expect(cluster.response(1, xid: 1, type: .create) == .success(.path("/private")))
        cluster.request(2, xid: 1, .read(.getData(path: "/private", watch: false)))
        cluster.request(1, xid: 2, .read(.getData(path: "/private", watch: false)))
        #expect(cluster.response(2, xid: 1, type: .getData) == .failure(.noAuth))
        #expect(cluster.reply(1, xid: 2)?.header.err == 0)
        // An unknown scheme fails authentication and closes the connection.
        cluster.request(2, xid: -4, .authenticate(scheme: "kerberos", credential: []))
        #expect(cluster.reply(2, xid: -4)?.header.err == ZooKeeper.ErrorCode.authFailed.rawValue)
        #expect(cluster.closed.contains(2))
    }

    @Test("the leader expires a silent session through the log: its ephemerals vanish on every replica and watchers hear of it")
    func expiry() {
        var cluster = TestCluster(count: 2)
        let session = cluster.openSession(1, on: 1)
        _ = cluster.openSession(2, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/lock", mode: .ephemeral)))))
        cluster.settle()
        cluster.request(2, xid: 1, .read(.exists(path: "/lock", watch: true)))
        // Pings keep the session alive while the follower reports them.
        for xid in 0..<5 {
            cluster.tick(by: 3_000)
            cluster.request(1, xid: -2, .ping)
            cluster.servers[0].onSessionsTouched(cluster.servers[1].takeTouchedSessions())
            cluster.request(2, xid: -2, .ping)
            _ = xid
        }
        cluster.settle()
        #expect(cluster.servers[0].state.sessions[session.sessionID] != nil)
        // Silence from the first client for longer than its timeout; the second keeps pinging.
        cluster.tick(by: 6_000)
        #expect(cluster.pending.isEmpty)
        cluster.request(2, xid: -2, .ping)
        cluster.tick(by: 6_000)
        #expect(!cluster.pending.isEmpty)
        cluster.settle()
        #expect(cluster.servers.allSatisfy { $0.state.sessions[session.sessionID] == nil && $0.state.tree["/lock"] == nil })
        #expect(cluster.closed.contains(1))
        #expect(cluster.events(2) == [.init(type: .nodeDeleted, path: "/lock")])
    }

    @Test("closeSession is answered, deletes the ephemerals, and closes the connection")
    func closeSession() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/e", mode: .ephemeral)))))
        cluster.request(1, xid: 2, .closeSession)
        cluster.request(1, xid: 3, .read(.exists(path: "/", watch: false)))
        cluster.settle()
        #expect(cluster.frames(1).map(\.header.xid) == [1, 2])
        #expect(cluster.closed.contains(1))
        #expect(cluster.servers[0].state.tree["/e"] == nil)
    }

    @Test("sync is answered once this replica has applied everything committed before it")
    func sync() {
        var cluster = TestCluster(count: 2)
        _ = cluster.openSession(1, on: 0)
        _ = cluster.openSession(2, on: 1)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/s", mode: .persistent)))))
        cluster.commit()
        cluster.deliver(to: 0)
        // Server 1 lags; a sync through it waits for the log to catch up.
        cluster.request(2, xid: 1, .sync(path: "/s"))
        cluster.request(2, xid: 2, .read(.exists(path: "/s", watch: false)))
        cluster.commit()
        #expect(cluster.reply(2, xid: 1) == nil)
        cluster.deliver(to: 1)
        #expect(cluster.response(2, xid: 1, type: .sync) == .success(.path("/s")))
        #expect(cluster.reply(2, xid: 2)?.header.err == 0)
    }

    @Test("the four-letter words answer from the server's state, then close")
    func fourLetterWords() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.ask(2, to: 0, "ruok")
        cluster.ask(3, to: 0, "srvr")
        cluster.ask(4, to: 0, "mntr")
        #expect(cluster.text[2] == "imok")
        #expect(cluster.text[3]?.contains("Mode: leader\n") == true)
        #expect(cluster.text[3]?.contains("Node count: 4\n") == true)
        #expect(cluster.text[4]?.contains("zk_global_sessions\t1\n") == true)
        #expect([2, 3, 4].allSatisfy { cluster.closed.contains($0) })
    }

    @Test("conf answers with the server's configuration in ZooKeeper's key=value lines")
    func confWord() {
        let configuration = ZooKeeper.ServerConfiguration(tickMilliseconds: 500, clientPort: 2181, dataDirectory: "/var/lib/concord/zk")
        var cluster = TestCluster(count: 2, configuration: configuration)
        cluster.ask(5, to: 1, "conf")
        let expected = """
            clientPort=2181
            secureClientPort=-1
            dataDir=/var/lib/concord/zk
            dataDirSize=0
            dataLogDir=/var/lib/concord/zk
            dataLogSize=0
            tickTime=500
            maxClientCnxns=0
            minSessionTimeout=1000
            maxSessionTimeout=10000
            clientPortListenBacklog=-1
            serverId=2

            """
        #expect(cluster.text[5] == expected)
        #expect(cluster.closed.contains(5))
    }

    @Test("multi, multiRead, getACL, getAllChildrenNumber and getEphemerals over the wire")
    func compoundRequests() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.multi([
            .create(.init(path: "/m", data: bytes("0"), mode: .persistent)),
            .create(.init(opCode: .create2, path: "/m/e", mode: .ephemeral)),
            .setData(path: "/m", data: bytes("1"), version: 0),
        ])))
        cluster.request(1, xid: 2, .write(.multi([.check(path: "/m", version: 0), .delete(path: "/m/e", version: -1)])))
        cluster.request(1, xid: 3, .read(.multiRead([.getData(path: "/m"), .getChildren(path: "/m"), .getData(path: "/none")])))
        cluster.request(1, xid: 4, .read(.getACL(path: "/m")))
        cluster.request(1, xid: 5, .read(.getAllChildrenNumber(path: "/")))
        cluster.request(1, xid: 6, .read(.getEphemerals(prefix: "")))
        cluster.settle()
        guard case .success(.multi(let created))? = cluster.response(1, xid: 1, type: .multi) else { Issue.record("multi failed"); return }
        #expect(created.count == 3 && created[0] == .create(path: "/m"))
        #expect(cluster.response(1, xid: 2, type: .multi) == .success(.multi([.error(.badVersion), .error(.runtimeInconsistency)])))
        #expect(cluster.reply(1, xid: 2)?.header.err == 0)
        guard case .success(.multi(let read))? = cluster.response(1, xid: 3, type: .multiRead) else { Issue.record("multiRead failed"); return }
        #expect(read.count == 3 && read[1] == .getChildren(children: ["e"]) && read[2] == .error(.noNode))
        guard case .success(.acl(let acl, _))? = cluster.response(1, xid: 4, type: .getACL) else { Issue.record("getACL failed"); return }
        #expect(acl == ZooKeeper.ACL.openUnsafe)
        #expect(cluster.response(1, xid: 5, type: .getAllChildrenNumber) == .success(.count(5)))
        #expect(cluster.response(1, xid: 6, type: .getEphemerals) == .success(.paths(["/m/e"])))
    }

    @Test("the leader proposes deleting an emptied container at its check interval")
    func containerCleanup() {
        var cluster = TestCluster(count: 2, configuration: ZooKeeper.ServerConfiguration(containerCheckIntervalMilliseconds: 5_000))
        _ = cluster.openSession(1, on: 1)
        cluster.request(1, xid: 1, .write(.single(.create(.init(opCode: .createContainer, path: "/c", mode: .container)))))
        cluster.request(1, xid: 2, .write(.single(.create(.init(path: "/c/child", mode: .persistent)))))
        cluster.request(1, xid: 3, .write(.single(.delete(path: "/c/child", version: -1))))
        cluster.settle()
        cluster.request(1, xid: -2, .ping)
        cluster.tick(by: 1_000)
        #expect(cluster.pending.isEmpty)
        cluster.servers[0].onSessionsTouched(cluster.servers[1].takeTouchedSessions())
        cluster.tick(by: 4_000)
        #expect(cluster.pending == [ZooKeeper.Proposal(origin: .init(server: 1, tag: 0), command: .deleteContainer(path: "/c"))])
        cluster.settle()
        #expect(cluster.servers.allSatisfy { $0.state.tree["/c"] == nil })
    }

    @Test("a proposal lost or applied out of order closes its connection; so does a client beyond the pending limit")
    func lostProposals() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/a", mode: .persistent)))))
        cluster.request(1, xid: 2, .write(.single(.create(.init(path: "/b", mode: .persistent)))))
        // The log orders the second proposal first.
        cluster.pending.reverse()
        cluster.settle()
        #expect(cluster.closed.contains(1))
        _ = cluster.openSession(2, on: 0)
        cluster.request(2, xid: 1, .write(.single(.create(.init(path: "/c", mode: .persistent)))))
        guard case .propose(let proposal)? = cluster.pending.last.map({ ZooKeeper.ServerEffect.propose($0) }) else { return }
        cluster.pending.removeLast()
        cluster.perform(cluster.servers[0].onProposalLost(tag: proposal.origin.tag), server: 0)
        #expect(cluster.closed.contains(2))
        var small = TestCluster(count: 1, configuration: ZooKeeper.ServerConfiguration(pendingRequestsMax: 3))
        _ = small.openSession(3, on: 0)
        for xid in 1...3 { small.request(3, xid: Int32(xid), .write(.single(.create(.init(path: "/p\(xid)", mode: .persistent))))) }
        #expect(!small.closed.contains(3))
        small.request(3, xid: 4, .write(.single(.create(.init(path: "/p4", mode: .persistent)))))
        #expect(small.closed.contains(3))
    }

    @Test("a watch event about a node the session may not read is not sent")
    func eventsFilteredByACL() {
        var cluster = TestCluster(count: 1)
        _ = cluster.openSession(1, on: 0)
        _ = cluster.openSession(2, on: 0)
        cluster.request(1, xid: -4, .authenticate(scheme: "digest", credential: bytes("alice:secret")))
        cluster.request(2, xid: 1, .addWatch(path: "/", mode: .persistentRecursive))
        cluster.request(1, xid: 1, .write(.single(.create(.init(path: "/secret", acl: ZooKeeper.ACL.creatorAll, mode: .persistent)))))
        cluster.request(1, xid: 2, .write(.single(.create(.init(path: "/open", mode: .persistent)))))
        cluster.settle()
        #expect(cluster.events(2) == [.init(type: .nodeCreated, path: "/open")])
    }
}
