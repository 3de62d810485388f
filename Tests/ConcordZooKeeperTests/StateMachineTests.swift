import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

@Suite("ZooKeeper state machine")
struct StateMachineTests {
    func replicaWithSession() -> Replica {
        var replica = Replica()
        replica.openSession(7)
        return replica
    }

    @Test("a fresh tree holds ZooKeeper's own nodes, which cannot be deleted")
    func freshTree() throws {
        var replica = replicaWithSession()
        let machine = replica.machine
        #expect(try machine.getChildren("/", identities: []).get().children == ["zookeeper"])
        #expect(try machine.getChildren("/zookeeper", identities: []).get().children == ["config", "quota"])
        for path in ["/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            #expect(replica.write(.single(.delete(path: path, version: -1))).outcome.error == .badArguments)
        }
        #expect(replica.create("/").outcome.error == .nodeExists)
    }

    @Test("create fills the stat and bumps the parent's cversion and pzxid")
    func createStat() throws {
        var replica = replicaWithSession()
        let created = replica.create("/app", "v1", opCode: .create2)
        guard case .pathAndStat(let path, let stat)? = created.outcome.response else { Issue.record("\(created.outcome)"); return }
        #expect(path == "/app")
        #expect(stat.czxid == created.zxid && stat.mzxid == created.zxid && stat.pzxid == created.zxid)
        #expect(stat.ctime == replica.time && stat.mtime == replica.time)
        #expect(stat.version == 0 && stat.cversion == 0 && stat.aversion == 0 && stat.ephemeralOwner == 0)
        #expect(stat.dataLength == 2 && stat.numChildren == 0)
        let root = try replica.machine.exists("/", identities: []).get()
        #expect(root.cversion == 1 && root.pzxid == created.zxid && root.numChildren == 2)
        #expect(created.triggers.map(\.type) == [.nodeCreated, .nodeChildrenChanged])
        #expect(replica.create("/app").outcome.error == .nodeExists)
        #expect(replica.create("/missing/child").outcome.error == .noNode)
        #expect(replica.create("bad").outcome.error == .badArguments)
        #expect(replica.create("/a//b").outcome.error == .badArguments)
    }

    @Test("sequential names use the parent's cversion, which deletes advance too")
    func sequentialNames() throws {
        var replica = replicaWithSession()
        replica.create("/q")
        #expect(replica.create("/q/item-", mode: .persistentSequential).outcome.response == .path("/q/item-0000000000"))
        #expect(replica.create("/q/item-", mode: .ephemeralSequential).outcome.response == .path("/q/item-0000000001"))
        replica.write(.single(.delete(path: "/q/item-0000000000", version: -1)))
        #expect(replica.create("/q/item-", mode: .persistentSequential).outcome.response == .path("/q/item-0000000003"))
        #expect(replica.create("/q/", mode: .persistentSequential).outcome.response == .path("/q/0000000004"))
    }

    @Test("setData and delete are conditional on the version; -1 matches any")
    func versions() throws {
        var replica = replicaWithSession()
        replica.create("/v", "0")
        #expect(replica.write(.single(.setData(path: "/v", data: bytes("1"), version: 3))).outcome.error == .badVersion)
        guard case .stat(let stat)? = replica.write(.single(.setData(path: "/v", data: bytes("1"), version: 0))).outcome.response else {
            Issue.record("setData failed"); return
        }
        #expect(stat.version == 1 && stat.mzxid == replica.machine.lastZxid && stat.czxid < stat.mzxid)
        #expect(replica.write(.single(.setData(path: "/v", data: bytes("2"), version: -1))).outcome.response != nil)
        #expect(replica.write(.single(.delete(path: "/v", version: 1))).outcome.error == .badVersion)
        replica.create("/v/child")
        #expect(replica.write(.single(.delete(path: "/v", version: 2))).outcome.error == .notEmpty)
        #expect(replica.write(.single(.delete(path: "/v/child", version: -1))).outcome.response == .empty)
        #expect(replica.write(.single(.delete(path: "/v", version: 2))).outcome.response == .empty)
        #expect(replica.write(.single(.delete(path: "/v", version: -1))).outcome.error == .noNode)
        #expect(replica.write(.single(.setData(path: "/v", data: [], version: -1))).outcome.error == .noNode)
    }

    @Test("every transaction but a sync takes the next zxid, failed writes included")
    func zxidsOrderEveryChange() {
        var replica = replicaWithSession()
        let start = replica.machine.lastZxid
        let first = replica.create("/z")
        let failed = replica.create("/z")
        let sync = replica.apply(.sync(sessionID: 7, path: "/z"))
        let second = replica.create("/y")
        #expect(first.zxid == start + 1 && failed.zxid == start + 2 && second.zxid == start + 3)
        #expect(sync.zxid == start + 2 && sync.outcome.response == .path("/z"))
    }

    @Test("ephemeral nodes cannot have children and vanish together when their session closes, under one zxid")
    func ephemerals() throws {
        var replica = replicaWithSession()
        replica.openSession(8)
        replica.create("/e1", mode: .ephemeral)
        replica.create("/g")
        replica.create("/g/e2", mode: .ephemeral)
        replica.create("/g/other", mode: .ephemeral, session: 8)
        #expect(replica.create("/e1/child").outcome.error == .noChildrenForEphemerals)
        #expect(try replica.machine.exists("/e1", identities: []).get().ephemeralOwner == 7)
        #expect(replica.machine.ephemerals(of: 7, prefix: "") == ["/e1", "/g/e2"])
        #expect(replica.machine.ephemerals(of: 7, prefix: "/g") == ["/g/e2"])
        let closed = replica.apply(.closeSession(sessionID: 7, reason: .expired))
        #expect(closed.endedSessions == [7])
        #expect(closed.triggers.map(\.path) == ["/e1", "/", "/g/e2", "/g"])
        #expect(replica.machine.exists("/e1", identities: []).failureCode == .noNode)
        #expect(replica.machine.exists("/g/e2", identities: []).failureCode == .noNode)
        #expect(try replica.machine.exists("/g", identities: []).get().pzxid == closed.zxid)
        #expect(try replica.machine.exists("/g/other", identities: []).get().ephemeralOwner == 8)
        // A closed session can no longer write, nor create ephemerals.
        #expect(replica.create("/late", mode: .ephemeral).outcome.error == .sessionExpired)
        #expect(replica.apply(.closeSession(sessionID: 7, reason: .closedByClient)).outcome.error == .sessionExpired)
    }

    @Test("sessions: ids are unique, reattach needs the password and moves ownership, writes from the old owner fail with SESSIONMOVED")
    func sessions() {
        var replica = Replica()
        let password = Array(repeating: UInt8(9), count: 16)
        guard case .sessionEstablished(let session) = replica.apply(.createSession(sessionID: 9, timeoutMilliseconds: 6_000, password: password), server: 1).outcome else {
            Issue.record("session not created"); return
        }
        #expect(session.owner == 1 && session.timeoutMilliseconds == 6_000)
        #expect(replica.apply(.createSession(sessionID: 9, timeoutMilliseconds: 6_000, password: password)).outcome == .sessionRefused(.nodeExists))
        #expect(replica.apply(.reattachSession(sessionID: 9, password: Array(repeating: 0, count: 16)), server: 2).outcome == .sessionRefused(.authFailed))
        #expect(replica.apply(.reattachSession(sessionID: 10, password: password), server: 2).outcome == .sessionRefused(.sessionExpired))
        let moved = replica.apply(.reattachSession(sessionID: 9, password: password), server: 2)
        #expect(moved.attachedSession?.owner == 2)
        #expect(replica.write(.single(.create(.init(path: "/x", mode: .persistent))), session: 9, server: 1).outcome.error == .sessionMoved)
        #expect(replica.write(.single(.create(.init(path: "/x", mode: .persistent))), session: 9, server: 2).outcome.response == .path("/x"))
    }

    @Test("a multi applies all or nothing, with ZooKeeper's per-operation results")
    func multi() throws {
        var replica = replicaWithSession()
        replica.create("/m", "0")
        let before = replica.machine.snapshot()
        let failed = replica.write(.multi([
            .create(.init(path: "/m/a", mode: .persistent)),
            .setData(path: "/m", data: bytes("1"), version: 0),
            .check(path: "/m", version: 5),
            .delete(path: "/m/a", version: -1),
        ]))
        #expect(failed.outcome.response == .multi([.error(.ok), .error(.ok), .error(.badVersion), .error(.runtimeInconsistency)]))
        #expect(failed.triggers.isEmpty)
        // Nothing changed but the zxid.
        var expected = try ZooKeeper.StateMachine(snapshot: before)
        expected.lastZxid = failed.zxid
        expected.lastTimeMilliseconds = replica.time
        #expect(replica.machine.snapshot() == expected.snapshot())
        let succeeded = replica.write(.multi([
            .create(.init(opCode: .create2, path: "/m/s-", mode: .persistentSequential)),
            .setData(path: "/m", data: bytes("1"), version: 0),
            .check(path: "/m", version: 1),
            .create(.init(path: "/m/b", mode: .persistent)),
            .delete(path: "/m/b", version: 0),
        ]))
        guard case .multi(let results)? = succeeded.outcome.response else { Issue.record("\(succeeded.outcome)"); return }
        #expect(results.count == 5)
        guard case .create2(let path, let stat) = results[0] else { Issue.record("\(results[0])"); return }
        #expect(path == "/m/s-0000000000" && stat.czxid == succeeded.zxid)
        #expect(results[2] == .check && results[3] == .create(path: "/m/b") && results[4] == .delete)
        #expect(try replica.machine.getChildren("/m", identities: []).get().children == ["s-0000000000"])
        #expect(try replica.machine.exists("/m", identities: []).get().cversion == 3)
        #expect(succeeded.triggers.count == 7)
    }

    @Test("world:anyone and digest ACLs with ZooKeeper's permission bits")
    func acls() throws {
        var replica = replicaWithSession()
        let aliceOnly = [ZooKeeper.ACL(permissions: .all, identity: aliceIdentity)]
        let readable = aliceOnly + [ZooKeeper.ACL(permissions: .read, identity: .anyone)]
        replica.create("/secret", "s", acl: aliceOnly, identities: [aliceIdentity])
        replica.create("/shared", "s", acl: readable, identities: [aliceIdentity])
        #expect(replica.machine.getData("/secret", identities: []).failureCode == .noAuth)
        #expect(replica.machine.getData("/secret", identities: [bobIdentity]).failureCode == .noAuth)
        #expect(try replica.machine.getData("/secret", identities: [aliceIdentity]).get().data == bytes("s"))
        // exists needs READ only when the node is there.
        #expect(replica.machine.exists("/secret", identities: []).failureCode == .noAuth)
        #expect(replica.machine.exists("/secret/none", identities: []).failureCode == .noNode)
        #expect(try replica.machine.getData("/shared", identities: []).get().data == bytes("s"))
        #expect(replica.write(.single(.setData(path: "/shared", data: [], version: -1)), identities: [bobIdentity]).outcome.error == .noAuth)
        #expect(replica.create("/secret/child", identities: []).outcome.error == .noAuth)
        #expect(replica.create("/secret/child", identities: [aliceIdentity]).outcome.response == .path("/secret/child"))
        // getACL: READ shows the ACL with digests hidden; ADMIN shows them.
        #expect(try replica.machine.getACL("/shared", identities: []).get().acl.first?.identity.id == "alice:x")
        #expect(try replica.machine.getACL("/shared", identities: [aliceIdentity]).get().acl == readable)
        // setACL needs ADMIN and checks the ACL version.
        #expect(replica.write(.setACL(path: "/shared", acl: ZooKeeper.ACL.openUnsafe, version: -1), identities: []).outcome.error == .noAuth)
        #expect(replica.write(.setACL(path: "/shared", acl: ZooKeeper.ACL.openUnsafe, version: 4), identities: [aliceIdentity]).outcome.error == .badVersion)
        guard case .stat(let stat)? = replica.write(.setACL(path: "/shared", acl: ZooKeeper.ACL.openUnsafe, version: 0), identities: [aliceIdentity]).outcome.response else {
            Issue.record("setACL failed"); return
        }
        #expect(stat.aversion == 1 && stat.version == 0)
        // The auth scheme expands to the caller's identities, and needs one.
        #expect(replica.create("/mine", acl: ZooKeeper.ACL.creatorAll, identities: []).outcome.error == .invalidACL)
        replica.create("/mine", acl: ZooKeeper.ACL.creatorAll, identities: [bobIdentity])
        #expect(try replica.machine.getACL("/mine", identities: [bobIdentity]).get().acl == [ZooKeeper.ACL(permissions: .all, identity: bobIdentity)])
        // Malformed and unknown ACLs are refused.
        #expect(replica.create("/bad", acl: []).outcome.error == .invalidACL)
        #expect(replica.create("/bad", acl: [.init(permissions: .all, identity: .init(scheme: "digest", id: "nocolon"))]).outcome.error == .invalidACL)
        #expect(replica.create("/bad", acl: [.init(permissions: .all, identity: .init(scheme: "ip", id: "10.0.0.1"))]).outcome.error == .invalidACL)
    }

    @Test("the digest identity is user:base64(sha1(user:password)), as ZooKeeper computes it")
    func digestIdentity() {
        #expect(ZooKeeper.AccessControl.digestIdentity(credential: bytes("alice:secret"), sha1: testSHA1) == aliceIdentity)
        #expect(ZooKeeper.AccessControl.digestIdentity(credential: bytes("super:superpw"), sha1: testSHA1).id == "super:g9oN2HttPfn8MMWJZ2r45Np/LIA=")
    }

    @Test("containers and TTL nodes are deleted by the leader's command only once they qualify")
    func containersAndTTL() throws {
        var replica = replicaWithSession()
        replica.create("/c", mode: .container, opCode: .createContainer)
        #expect(try replica.machine.exists("/c", identities: []).get().ephemeralOwner == ZooKeeper.EphemeralOwner.container)
        #expect(replica.machine.deletableContainers(atMilliseconds: replica.time, limit: 10) == [])
        replica.create("/c/x")
        #expect(replica.apply(.deleteContainer(path: "/c")).outcome.error == .notEmpty)
        replica.write(.single(.delete(path: "/c/x", version: -1)))
        #expect(replica.machine.deletableContainers(atMilliseconds: replica.time, limit: 10) == ["/c"])
        #expect(replica.apply(.deleteContainer(path: "/c")).outcome.response == .empty)
        let ttl = replica.create("/t", mode: .persistentWithTTL, opCode: .createTTL, ttl: 100)
        guard case .pathAndStat(_, let stat)? = ttl.outcome.response else { Issue.record("\(ttl.outcome)"); return }
        #expect(ZooKeeper.EphemeralOwner.ttlMilliseconds(of: stat.ephemeralOwner) == 100)
        #expect(replica.apply(.deleteContainer(path: "/t")).outcome.error == .badVersion)  // only 10 ms later
        replica.time += 200
        #expect(replica.machine.deletableContainers(atMilliseconds: replica.time, limit: 10) == ["/t"])
        #expect(replica.apply(.deleteContainer(path: "/t")).outcome.response == .empty)
        replica.create("/p")
        #expect(replica.apply(.deleteContainer(path: "/p")).outcome.error == .badVersion)
        // Modes and op codes must agree; TTLs must be in range.
        #expect(replica.create("/t2", mode: .persistentWithTTL, opCode: .create).outcome.error == .badArguments)
        #expect(replica.create("/t2", mode: .persistentWithTTL, opCode: .createTTL, ttl: 0).outcome.error == .badArguments)
        #expect(replica.create("/c2", mode: .persistent, opCode: .createContainer).outcome.error == .badArguments)
        #expect(replica.write(.single(.create(.init(path: "/f", flags: 9)))).outcome.error == .badArguments)
    }

    @Test("limits: data beyond the limit is refused and changes nothing")
    func limits() {
        var replica = Replica(machine: ZooKeeper.StateMachine(limits: ZooKeeper.Limits(dataBytesMax: 4)))
        replica.openSession(7)
        #expect(replica.create("/big", "12345").outcome.error == .badArguments)
        #expect(replica.machine.exists("/big", identities: []).failureCode == .noNode)
        #expect(replica.create("/ok", "1234").outcome.response == .path("/ok"))
        #expect(replica.write(.single(.setData(path: "/ok", data: bytes("12345"), version: -1))).outcome.error == .badArguments)
    }

    @Test("snapshots restore an equal state; damaged snapshots are refused")
    func snapshots() throws {
        var replica = replicaWithSession()
        replica.openSession(8)
        replica.create("/a", "x", acl: [.init(permissions: .all, identity: aliceIdentity)], identities: [aliceIdentity])
        replica.create("/a/e", mode: .ephemeral, identities: [aliceIdentity])
        replica.create("/s-", mode: .persistentSequential)
        let bytes = replica.machine.snapshot()
        let restored = try ZooKeeper.StateMachine(snapshot: bytes)
        #expect(restored.snapshot() == bytes)
        #expect(restored.lastZxid == replica.machine.lastZxid)
        #expect(restored.sessions == replica.machine.sessions)
        #expect(restored.ephemerals(of: 7, prefix: "") == ["/a/e"])
        #expect(try restored.getChildren("/", identities: []).get().children == ["a", "s-0000000001", "zookeeper"])
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.StateMachine(snapshot: Array(bytes.dropLast())) }
        var wrongVersion = bytes
        wrongVersion[0] = 9
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.StateMachine(snapshot: wrongVersion) }
        // A snapshot whose ephemeral node's session is missing breaks an invariant.
        var orphan = replica
        orphan.machine.sessions[7] = nil
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.StateMachine(snapshot: orphan.machine.snapshot()) }
    }

    @Test("transactions encode to log payloads and decode back; damaged payloads are refused")
    func transactionEncoding() throws {
        let commands: [ZooKeeper.Command] = [
            .createSession(sessionID: 5, timeoutMilliseconds: 4_000, password: Array(0..<16)),
            .reattachSession(sessionID: 5, password: Array(0..<16)),
            .closeSession(sessionID: 5, reason: .expired),
            .write(sessionID: 5, identities: [aliceIdentity], request: .multi([
                .create(.init(opCode: .createTTL, path: "/t", data: [1, 2], acl: ZooKeeper.ACL.openUnsafe, mode: .persistentWithTTL, ttlMilliseconds: 50)),
                .delete(path: "/x", version: 2), .setData(path: "/y", data: [3], version: -1), .check(path: "/z", version: 0),
            ])),
            .write(sessionID: 5, identities: [], request: .setACL(path: "/a", acl: ZooKeeper.ACL.readUnsafe, version: 1)),
            .sync(sessionID: 5, path: "/"),
            .deleteContainer(path: "/c"),
        ]
        for command in commands {
            let transaction = ZooKeeper.Transaction(origin: .init(server: 3, tag: 99), timeMilliseconds: 1_234, command: command)
            let encoded = transaction.binaryEncoded()
            #expect(try ZooKeeper.Transaction(binaryEncoded: encoded) == transaction)
            #expect(throws: BinaryDecodingError.self) { try ZooKeeper.Transaction(binaryEncoded: Array(encoded.dropLast())) }
        }
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.Transaction(binaryEncoded: [2, 1, 1, 0, 6, 0]) }
        #expect(throws: BinaryDecodingError.self) { try ZooKeeper.Transaction(binaryEncoded: [1, 1, 1, 0, 42]) }
    }
}
