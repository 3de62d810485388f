import ConcordFoundation
import ConcordKV
import Testing

@testable import ConcordServerCore

/// The auth store as pure state: its commands with etcd's errors, the key
/// permission checks, the checks of every part of a transaction, and its
/// encoding.
@Suite struct AuthStoreTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// root (with the root role) and alice (role reader: read on `foo`,
    /// readwrite on the prefix `app/`, write on [a, m)), auth enabled.
    static func enabledStore() throws -> AuthStore {
        var store = AuthStore()
        for command: AuthCommand in [
            .userAdd(name: "root", passwordHash: "$2b$10$root", noPassword: false),
            .userGrantRole(user: "root", role: "root"),
            .userAdd(name: "alice", passwordHash: "$2b$10$alice", noPassword: false),
            .roleAdd(name: "reader"),
            .roleGrantPermission(role: "reader", permission: KeyPermission(access: .read, key: bytes("foo"))),
            .roleGrantPermission(role: "reader", permission: KeyPermission(access: .readWrite, key: bytes("app/"), rangeEnd: bytes("app0"))),
            .roleGrantPermission(role: "reader", permission: KeyPermission(access: .write, key: bytes("a"), rangeEnd: bytes("m"))),
            .userGrantRole(user: "alice", role: "reader"),
            .enable,
        ] {
            try store.apply(command)
        }
        return store
    }

    private func alice(_ store: AuthStore) -> AuthCaller { AuthCaller(name: "alice", revision: store.revision) }

    @Test func keyRangesAreAllowedOnlyWhenTheUnionOfTheUsersPermissionsCoversThem() throws {
        let store = try Self.enabledStore()
        let alice = alice(store)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("foo"), rangeEnd: []) == nil)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("foo2"), rangeEnd: []) == .permissionDenied)
        #expect(store.keyRefusal(alice, .write, key: Self.bytes("foo"), rangeEnd: []) == nil, "write on [a, m) covers foo")
        #expect(store.keyRefusal(alice, .write, key: Self.bytes("zed"), rangeEnd: []) == .permissionDenied)
        // The prefix app/ with readwrite: reads and writes inside, not a wider prefix.
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("app/"), rangeEnd: Self.bytes("app0")) == nil)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("app/x"), rangeEnd: Self.bytes("app/y")) == nil)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("ap"), rangeEnd: Self.bytes("aq")) == .permissionDenied)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("app/"), rangeEnd: [0]) == .permissionDenied, "to the end is wider")
        #expect(store.keyRefusal(alice, .write, key: Self.bytes("a"), rangeEnd: Self.bytes("n")) == .permissionDenied)
        // Two adjacent write ranges together cover a range neither covers alone.
        var wider = store
        try wider.apply(.roleGrantPermission(role: "reader", permission: KeyPermission(access: .write, key: Self.bytes("m"), rangeEnd: Self.bytes("p"))))
        let current = AuthCaller(name: "alice", revision: wider.revision)
        #expect(wider.keyRefusal(current, .write, key: Self.bytes("a"), rangeEnd: Self.bytes("n")) == nil)
        #expect(wider.keyRefusal(current, .write, key: Self.bytes("a"), rangeEnd: Self.bytes("q")) == .permissionDenied)
        // root may do anything; no caller, an unknown user and an old token may not.
        let root = AuthCaller(name: "root", revision: store.revision)
        #expect(store.keyRefusal(root, .write, key: Self.bytes("zed"), rangeEnd: [0]) == nil)
        #expect(store.keyRefusal(nil, .read, key: Self.bytes("foo"), rangeEnd: []) == .userEmpty)
        #expect(store.keyRefusal(AuthCaller(name: "bob", revision: store.revision), .read, key: Self.bytes("foo"), rangeEnd: []) == .permissionDenied)
        #expect(store.keyRefusal(AuthCaller(name: "alice", revision: store.revision - 1), .read, key: Self.bytes("foo"), rangeEnd: []) == .authOldRevision)
    }

    @Test func anOpenEndedPermissionCoversEveryKeyAfterItsStart() throws {
        var store = try Self.enabledStore()
        try store.apply(.roleGrantPermission(role: "reader", permission: KeyPermission(access: .read, key: Self.bytes("t"), rangeEnd: [0])))
        let alice = alice(store)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("t"), rangeEnd: [0]) == nil)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("zzz"), rangeEnd: []) == nil)
        #expect(store.keyRefusal(alice, .read, key: Self.bytes("s"), rangeEnd: [0]) == .permissionDenied)
    }

    @Test func whileAuthIsDisabledEverythingIsAllowed() throws {
        var store = try Self.enabledStore()
        try store.apply(.disable)
        #expect(store.refusal(.write(.put(PutRequest(key: Self.bytes("zed"), value: []))), caller: nil) == nil)
        #expect(store.refusal(.auth(.roleAdd(name: "x")), caller: nil) == nil)
    }

    @Test func everyCompareAndEveryOperationOfBothBranchesOfATransactionIsChecked() throws {
        let store = try Self.enabledStore()
        let alice = alice(store)
        let compareFoo = Compare(key: Self.bytes("foo"), target: .version(0), result: .greater)
        let readFoo = RequestOp.range(RangeRequest(key: Self.bytes("foo")))
        let putApp = RequestOp.put(PutRequest(key: Self.bytes("app/x"), value: []))
        let allowed = TxnRequest(compare: [compareFoo], success: [putApp], failure: [readFoo])
        #expect(store.refusal(.write(.txn(allowed)), caller: alice) == nil)
        // A forbidden operation in the branch that would not run is refused all the same.
        let forbiddenFailure = TxnRequest(compare: [compareFoo], success: [putApp], failure: [.put(PutRequest(key: Self.bytes("zed"), value: []))])
        #expect(store.refusal(.write(.txn(forbiddenFailure)), caller: alice) == .permissionDenied)
        // A compare on a key alice cannot read.
        let forbiddenCompare = TxnRequest(compare: [Compare(key: Self.bytes("zed"), target: .version(0), result: .equal)], success: [putApp])
        #expect(store.refusal(.write(.txn(forbiddenCompare)), caller: alice) == .permissionDenied)
        // A delete with prev_kv needs read too: [a, m) is write-only.
        let deleteWithPrevious = RequestOp.deleteRange(DeleteRangeRequest(key: Self.bytes("b"), prevKV: true))
        #expect(store.refusal(.write(.txn(TxnRequest(success: [deleteWithPrevious]))), caller: alice) == .permissionDenied)
        #expect(store.refusal(.write(.deleteRange(DeleteRangeRequest(key: Self.bytes("b")))), caller: alice) == nil)
        // A nested transaction is checked too, and so is a read-only one.
        let nested = TxnRequest(success: [.txn(TxnRequest(failure: [.range(RangeRequest(key: Self.bytes("zed")))]))])
        #expect(store.refusal(.write(.txn(nested)), caller: alice) == .permissionDenied)
        #expect(store.refusal(.readOnlyTxn(TxnRequest(success: [readFoo]), serializable: true), caller: alice) == nil)
        #expect(store.refusal(.readOnlyTxn(TxnRequest(failure: [.range(RangeRequest(key: Self.bytes("zed")))]), serializable: true), caller: alice) == .permissionDenied)
    }

    @Test func managingTheStoreNeedsRootOnceEnabled() throws {
        let store = try Self.enabledStore()
        #expect(store.refusal(.auth(.roleAdd(name: "x")), caller: alice(store)) == .permissionDenied)
        #expect(store.refusal(.auth(.roleAdd(name: "x")), caller: nil) == .userEmpty)
        #expect(store.refusal(.auth(.roleAdd(name: "x")), caller: AuthCaller(name: "ghost", revision: store.revision)) == .userNotFound)
        #expect(store.refusal(.auth(.roleAdd(name: "x")), caller: AuthCaller(name: "root", revision: store.revision)) == nil)
        // A user reads itself and its roles, nothing else.
        #expect(try store.answer(.userGet(name: "alice"), caller: alice(store)) == .roles(["reader"]))
        #expect(try store.answer(.roleGet(name: "reader"), caller: alice(store)) == .permissions(store.roles["reader"]!.permissions))
        #expect(throws: AuthError.permissionDenied) { try store.answer(.userGet(name: "root"), caller: alice(store)) }
        #expect(throws: AuthError.permissionDenied) { try store.answer(.userList, caller: alice(store)) }
    }

    @Test func badCommandsGetEtcdsErrorsAndChangeNothing() throws {
        var store = AuthStore()
        let refusals: [(AuthCommand, AuthError)] = [
            (.enable, .rootUserNotExist),
            (.userAdd(name: "", passwordHash: "h", noPassword: false), .userEmpty),
            (.roleAdd(name: ""), .roleEmpty),
            (.userDelete(name: "nobody"), .userNotFound),
            (.userGrantRole(user: "nobody", role: "root"), .userNotFound),
            (.roleGrantPermission(role: "nobody", permission: KeyPermission(access: .read, key: Self.bytes("k"))), .roleNotFound),
            (.roleGrantPermission(role: "nobody", permission: KeyPermission(access: .read, key: [])), .invalidAuthManagement),
            (.roleGrantPermission(role: "nobody", permission: KeyPermission(access: .read, key: Self.bytes("b"), rangeEnd: Self.bytes("a"))), .invalidAuthManagement),
        ]
        for (command, error) in refusals {
            let before = store
            #expect(throws: error) { try store.apply(command) }
            #expect(store == before, "\(command) changed the store")
        }
        try store.apply(.userAdd(name: "root", passwordHash: "h", noPassword: false))
        #expect(throws: AuthError.rootRoleNotExist) { try store.apply(.enable) }
        #expect(throws: AuthError.userAlreadyExist) { try store.apply(.userAdd(name: "root", passwordHash: "h", noPassword: false)) }
        #expect(throws: AuthError.roleNotFound) { try store.apply(.userGrantRole(user: "root", role: "reader")) }
        #expect(throws: AuthError.roleNotGranted) { try store.apply(.userRevokeRole(user: "root", role: "reader")) }
        try store.apply(.userGrantRole(user: "root", role: "root"))
        try store.apply(.roleAdd(name: "root"))
        try store.apply(.enable)
        #expect(store.isEnabled)
        let enabled = store
        #expect(throws: AuthError.invalidAuthManagement) { try store.apply(.userDelete(name: "root")) }
        #expect(throws: AuthError.invalidAuthManagement) { try store.apply(.userRevokeRole(user: "root", role: "root")) }
        #expect(throws: AuthError.invalidAuthManagement) { try store.apply(.roleDelete(name: "root")) }
        #expect(throws: AuthError.permissionNotGranted) { try store.apply(.roleRevokePermission(role: "root", key: Self.bytes("k"), rangeEnd: [])) }
        #expect(store == enabled)
    }

    @Test func everyChangeRaisesTheRevisionAndDeletingARoleRevokesIt() throws {
        var store = try Self.enabledStore()
        let revision = store.revision
        try store.apply(.roleDelete(name: "reader"))
        #expect(store.revision == revision + 1)
        #expect(store.users["alice"]?.roles == [])
        try store.apply(.disable)
        #expect(store.revision == revision + 2)
        #expect(!store.isEnabled)
    }

    @Test func theStoreAndItsCommandsSurviveTheirEncoding() throws {
        let store = try Self.enabledStore()
        var writer = BinaryWriter()
        store.write(to: &writer)
        var reader = BinaryReader(writer.bytes)
        #expect(try AuthStore(reading: &reader) == store)
        #expect(reader.isAtEnd)
        for length in 0..<writer.bytes.count {
            var truncated = BinaryReader(Array(writer.bytes.prefix(length)))
            #expect(throws: WireError.self) { try AuthStore(reading: &truncated) }
        }
        let commands: [AuthCommand] = [
            .enable, .disable, .userAdd(name: "a", passwordHash: "$2b$x", noPassword: true), .userDelete(name: "a"),
            .userChangePassword(name: "a", passwordHash: "h"), .userGrantRole(user: "a", role: "r"),
            .userRevokeRole(user: "a", role: "r"), .roleAdd(name: "r"), .roleDelete(name: "r"),
            .roleGrantPermission(role: "r", permission: KeyPermission(access: .readWrite, key: [1, 2], rangeEnd: [0])),
            .roleRevokePermission(role: "r", key: [1], rangeEnd: [2]),
            .assignToken(token: "abc.1", user: "a", revision: 7),
        ]
        for command in commands {
            let payload = LogPayload.auth(ProposalID(proposer: 3, request: 9), command)
            let encoded = payload.encoded()
            #expect(try LogPayload(decoding: encoded) == payload)
            for length in 0..<encoded.count {
                #expect(throws: WireError.self) { try LogPayload(decoding: Array(encoded.prefix(length))) }
            }
        }
    }

    @Test func snapshotsCarryTheAuthStoreAndOlderSnapshotsLoadWithAuthDisabled() throws {
        let store = try Self.enabledStore()
        let registry = MemberRegistry(clusterID: 5)
        let stateMachine: [UInt8] = [1, 2, 3]
        let snapshot = ServerSnapshot(registry: registry, auth: store, stateMachine: stateMachine)
        let decoded = try ServerSnapshot(decoding: snapshot.encoded)
        #expect(decoded == snapshot)
        #expect(decoded.auth.isEnabled)
        // Version 2: the registry, the filter and the state machine, no auth store.
        var versionTwo = BinaryWriter()
        versionTwo.writeRaw(ServerSnapshot.magic)
        versionTwo.writeByte(2)
        versionTwo.writeFixedLengthBytes(registry.encoded)
        AppliedProposals(capacity: 8).write(to: &versionTwo)
        versionTwo.writeRaw(stateMachine)
        let old = try ServerSnapshot(decoding: versionTwo.bytes)
        #expect(old.auth == AuthStore())
        #expect(old.stateMachine == stateMachine)
        #expect(old.registry == registry)
    }

    @Test func simpleTokensExpireUnlessUsedAndEndWithAPasswordChange() throws {
        var store = try Self.enabledStore()
        var tokens = SimpleTokens(timeToLiveMilliseconds: 1_000)
        let caller = AuthCaller(name: "alice", revision: store.revision)
        tokens.issue("t1", to: caller, passwordHash: store.users["alice"]!.passwordHash, nowMilliseconds: 0)
        #expect(tokens.resolve("t1", store: store, nowMilliseconds: 900) == caller)
        #expect(tokens.resolve("t1", store: store, nowMilliseconds: 1_800) == caller, "each use renews the token")
        #expect(tokens.resolve("t1", store: store, nowMilliseconds: 2_900) == nil, "unused for longer than its time to live")
        #expect(tokens.resolve("unknown", store: store, nowMilliseconds: 0) == nil)
        tokens.issue("t2", to: caller, passwordHash: store.users["alice"]!.passwordHash, nowMilliseconds: 3_000)
        try store.apply(.userChangePassword(name: "alice", passwordHash: "$2b$10$other"))
        #expect(tokens.resolve("t2", store: store, nowMilliseconds: 3_001) == nil)
    }
}
