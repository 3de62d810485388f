import ConcordRedis
import ConcordServerCore
import Testing

@testable import ConcordServer

/// The available store's connections and the member's applied etcd users
/// (docs/redis.md, "Users and permissions"): each command meets the users
/// of the moment, and a user deleted through etcd loses its connections at
/// once, as `ACL DELUSER` closes a Redis user's. Connections are given
/// their user by a client certificate, which needs no password check.
@Suite struct AvailableStoreAuthTests {
    private static let noPermKeys = RESPValue.error("NOPERM this user has no permissions to access one of the keys used as arguments")

    /// root, alice and bob, both granted readwrite on `app/`, auth enabled.
    private static func users() throws -> AuthStore {
        var store = AuthStore()
        let commands: [AuthCommand] = [
            .userAdd(name: "root", passwordHash: "", noPassword: true), .userGrantRole(user: "root", role: "root"),
            .userAdd(name: "alice", passwordHash: "", noPassword: true), .userAdd(name: "bob", passwordHash: "", noPassword: true),
            .roleAdd(name: "app"), .roleGrantPermission(role: "app", permission: KeyPermission(access: .readWrite, key: Array("app/".utf8), rangeEnd: Array("app0".utf8))),
            .userGrantRole(user: "alice", role: "app"), .userGrantRole(user: "bob", role: "app"), .enable,
        ]
        for command in commands { try store.apply(command) }
        return store
    }

    private static func applying(_ store: AuthStore, _ command: AuthCommand) throws -> AuthStore {
        var changed = store
        try changed.apply(command)
        return changed
    }

    /// What connection `id` is given until `count` replies arrived or it
    /// closed (or the deadline passed), telling the store what was written.
    private func read(
        _ count: Int, _ id: Int64, _ outbound: AsyncStream<AvailableStore.Outbound>, _ store: AvailableStore
    ) async throws -> (replies: [RESPValue], closed: Bool) {
        try await withThrowingTaskGroup(of: (replies: [RESPValue], closed: Bool)?.self) { tasks in
            tasks.addTask {
                var bytes: [UInt8] = []
                for await item in outbound {
                    guard case .bytes(let chunk) = item else { return (try RESPReplyParser.parseAll(bytes), true) }
                    bytes += chunk
                    await store.wrote(chunk.count, connection: id)
                    let parsed = try RESPReplyParser.parseAll(bytes)
                    if parsed.count >= count { return (parsed, false) }
                }
                return (try RESPReplyParser.parseAll(bytes), true)
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(AvailableStoreBatchTests.repliesDeadlineSeconds))
                return nil
            }
            let first = try await tasks.next()!
            tasks.cancelAll()
            guard let outcome = first else {
                throw HarnessError(description: "neither \(count) replies nor a close within \(AvailableStoreBatchTests.repliesDeadlineSeconds) s")
            }
            return outcome
        }
    }

    @Test func aDeletedUsersConnectionsCloseAtOnceAndOthersStay() async throws {
        let users = try Self.users()
        let auth = AppliedAuth(users)
        let batch = AvailableStoreBatchTests()
        try await batch.withStore(.no, auth: auth) { harness in
            let store = harness.store
            await store.authenticate(certificateUser: "alice", connection: harness.connection)
            _ = await store.receive(bytes: batch.pipeline([["SET", "app/x", "1"]]), connection: harness.connection)
            #expect(try await read(1, harness.connection, harness.outbound, store) == ([.ok], false))
            let (bob, bobOutbound) = await store.open()
            await store.authenticate(certificateUser: "bob", connection: bob)

            // A password change keeps alice's connection, as ACL SETUSER does.
            let changed = try Self.applying(users, .userChangePassword(name: "alice", passwordHash: "other"))
            auth.publish(changed)
            await store.authChanged()
            _ = await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: harness.connection)
            #expect(try await read(1, harness.connection, harness.outbound, store) == ([.bulkString(Array("1".utf8))], false))

            // Deleted: closed without waiting for a command, and reads no more.
            auth.publish(try Self.applying(changed, .userDelete(name: "alice")))
            await store.authChanged()
            #expect(try await read(1, harness.connection, harness.outbound, store) == ([], true))
            #expect(await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: harness.connection) == false)
            _ = await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: bob)
            #expect(try await read(1, bob, bobOutbound, store) == ([.bulkString(Array("1".utf8))], false), "bob's connection stays")
            await store.closed(connection: bob)
        }
    }

    @Test func aChangeAppliesToTheNextCommandWithoutBeingAnnounced() async throws {
        let users = try Self.users()
        let auth = AppliedAuth(users)
        let batch = AvailableStoreBatchTests()
        try await batch.withStore(.no, auth: auth) { harness in
            let (store, id) = (harness.store, harness.connection)
            await store.authenticate(certificateUser: "alice", connection: id)
            _ = await store.receive(bytes: batch.pipeline([["SET", "app/x", "1"]]), connection: id)
            #expect(try await read(1, id, harness.outbound, store) == ([.ok], false))
            // Published and not announced (authChanged): the next command still meets it.
            let revoked = try Self.applying(users, .userRevokeRole(user: "alice", role: "app"))
            auth.publish(revoked)
            _ = await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: id)
            #expect(try await read(1, id, harness.outbound, store) == ([Self.noPermKeys], false))
            let granted = try Self.applying(revoked, .userGrantRole(user: "alice", role: "app"))
            auth.publish(granted)
            _ = await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: id)
            #expect(try await read(1, id, harness.outbound, store) == ([.bulkString(Array("1".utf8))], false))
            // Deleted and not announced: the next read closes the connection unanswered.
            auth.publish(try Self.applying(granted, .userDelete(name: "alice")))
            #expect(await store.receive(bytes: batch.pipeline([["GET", "app/x"]]), connection: id) == false)
            #expect(try await read(1, id, harness.outbound, store) == ([], true))
        }
    }
}
