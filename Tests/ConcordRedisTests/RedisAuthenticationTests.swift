import ConcordDynamo
import ConcordFoundation
import Testing

@testable import ConcordRedis

/// Users and key permissions from a table: each user reads and writes the
/// keys that start with one of its prefixes; `root` does everything.
private struct PrefixAccess: RedisAccessControl {
    var requiresAuthentication = true
    var readable: [String: [String]] = [:]
    var writable: [String: [String]] = [:]

    func allows(user: String, _ access: RedisKeyAccess, key: [UInt8]) -> Bool {
        if user == "root" { return true }
        let prefixes = (access == .read ? readable : writable)[user] ?? []
        return prefixes.contains { key.starts(with: Array($0.utf8)) }
    }

    func allowsEveryKey(user: String, _ access: RedisKeyAccess) -> Bool {
        user == "root" || ((access == .read ? readable : writable)[user] ?? []).contains("")
    }

    func administers(user: String) -> Bool { user == "root" }

    /// Every user the table names, and root.
    var userNames: [String] { Array(Set(readable.keys).union(writable.keys).union(["root"])) }
}

@Suite struct RedisAuthenticationTests {
    private static let noAuth = RESPValue.error("NOAUTH Authentication required.")
    private static let wrongPass = RESPValue.error("WRONGPASS invalid username-password pair or user is disabled.")
    private static let noPermKeys = RESPValue.error("NOPERM this user has no permissions to access one of the keys used as arguments")

    /// A harness whose first connection obeys `access`, with alice's and
    /// root's passwords.
    private func harness(_ access: PrefixAccess = PrefixAccess(readable: ["alice": ["app/", "shared/"]], writable: ["alice": ["app/"]]))
        -> StoreHarness
    {
        var store = StoreHarness()
        store.passwords = ["alice": "alicepw", "root": "rootpw"]
        store.connections[0].accessControl = access
        return store
    }

    @Test func beforeAuthenticatingOnlyAuthHelloWithAuthAndQuitRun() {
        var store = harness()
        #expect(store.one("GET", "app/x") == Self.noAuth)
        #expect(store.one("SET", "app/x", "1") == Self.noAuth)
        #expect(store.one("PING") == Self.noAuth)
        #expect(store.one("CLIENT", "SETNAME", "w") == Self.noAuth)
        #expect(store.one("CONCORD.WITH", "ONE", "GET", "app/x") == Self.noAuth)
        #expect(store.one("HELLO", "3") == .error(RedisError.helloNeedsAuthentication.message))
        #expect(store.connections[0].protocolVersion == .resp2, "a refused HELLO changes nothing")
        #expect(store.connections[0].name == nil)
        // Redis checks the command and its arity first.
        #expect(store.one("GET") == .error("ERR wrong number of arguments for 'get' command"))
        #expect(store.sent.isEmpty, "nothing reached the store")
        store.send(StoreHarness.multibulk(["QUIT"]))
        #expect(store.replies() == [.ok])
        #expect(store.closed[0])
    }

    @Test func aWrongPasswordOrUnknownUserGetsWrongpassAndChangesNothing() {
        var store = harness()
        #expect(store.one("AUTH", "alice", "nope") == Self.wrongPass)
        #expect(store.one("AUTH", "mallory", "alicepw") == Self.wrongPass)
        #expect(store.one("AUTH", "alicepw") == Self.wrongPass, "a password alone names `default`, who does not exist here")
        #expect(store.connections[0].user == nil)
        #expect(store.one("GET", "app/x") == Self.noAuth)
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("AUTH", "root", "wrong") == Self.wrongPass)
        #expect(store.connections[0].user == "alice", "a failed AUTH keeps the user authenticated before")
        #expect(store.sent.isEmpty)
    }

    @Test func aPasswordAloneAuthenticatesTheUserNamedDefault() {
        var store = harness()
        store.passwords["default"] = "defaultpw"
        #expect(store.one("AUTH", "defaultpw") == .ok)
        #expect(store.connections[0].user == "default")
    }

    @Test func permittedKeysWorkAndRefusedKeysGetNopermWithoutReachingTheStore() {
        var store = harness()
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("PING") == .simpleString("PONG"))
        #expect(store.one("SET", "app/x", "1") == .ok)
        #expect(store.one("GET", "app/x") == .bulk("1"))
        #expect(store.one("INCR", "app/n") == .integer(1))
        let sentBefore = store.sent.count
        #expect(store.one("SET", "other", "1") == Self.noPermKeys)
        #expect(store.one("GET", "other") == Self.noPermKeys)
        #expect(store.one("SET", "shared/x", "1") == Self.noPermKeys, "read permission only")
        #expect(store.one("INCR", "shared/n") == Self.noPermKeys, "INCR replies with the value: it needs write too")
        #expect(store.one("MSET", "app/a", "1", "other", "2") == Self.noPermKeys, "one refused key refuses the whole command")
        #expect(store.one("MGET", "app/x", "other") == Self.noPermKeys)
        #expect(store.one("DEL", "app/x", "shared/x") == Self.noPermKeys)
        #expect(store.one("CONCORD.WITH", "ALL", "GET", "other") == Self.noPermKeys)
        #expect(store.one("KEYS", "*") == .error("NOPERM this user has no permissions to run the 'keys' command"))
        #expect(store.one("SCAN", "0") == .error("NOPERM this user has no permissions to run the 'scan' command"))
        #expect(store.one("DBSIZE") == .error("NOPERM this user has no permissions to run the 'dbsize' command"))
        #expect(store.sent.count == sentBefore, "no refused command sent a request")
        #expect(store.one("MGET", "app/x", "shared/x") == .array([.bulk("1"), .null]))
    }

    @Test func setWithGetNeedsReadAsWell() {
        var access = PrefixAccess()
        access.writable["alice"] = ["w/"]
        var store = harness(access)
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("SET", "w/x", "1") == .ok)
        #expect(store.one("SET", "w/x", "2", "GET") == Self.noPermKeys)
        #expect(store.one("DEL", "w/x") == .integer(1), "DEL needs write only")
    }

    @Test func rootMayDoEverything() {
        var store = harness()
        #expect(store.one("AUTH", "root", "rootpw") == .ok)
        #expect(store.one("SET", "anything", "1") == .ok)
        #expect(store.one("KEYS", "*") == .array([.bulk("anything")]))
        #expect(store.one("DBSIZE") == .integer(1))
    }

    @Test func changesToPermissionsApplyToTheNextCommandOfAnOpenConnection() {
        var access = PrefixAccess(readable: ["alice": ["app/"]], writable: ["alice": ["app/"]])
        var store = harness(access)
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("SET", "app/x", "1") == .ok)
        access.writable["alice"] = []
        store.connections[0].accessControl = access
        #expect(store.one("SET", "app/x", "2") == Self.noPermKeys)
        #expect(store.one("GET", "app/x") == .bulk("1"))
        // Users off: every connection may do everything again.
        access.requiresAuthentication = false
        store.connections[0].accessControl = access
        #expect(store.one("SET", "app/x", "3") == .ok)
        let other = store.connect(to: 2)
        #expect(store.one("GET", "app/x", on: other) == .bulk("3"))
        // Users on again: a connection that never authenticated is refused.
        access.requiresAuthentication = true
        store.connections[other].accessControl = access
        #expect(store.one("GET", "app/x", on: other) == Self.noAuth)
    }

    @Test func commandsPipelinedBehindAuthWaitForItsAnswerAndRunAsItsUser() {
        var store = harness()
        store.answersAuthentications = false
        store.send(
            StoreHarness.multibulk(["AUTH", "alice", "alicepw"]) + StoreHarness.multibulk(["SET", "app/x", "1"])
                + StoreHarness.multibulk(["GET", "app/x"]))
        #expect(store.authentications.count == 1)
        #expect(store.authentications.first?.request == AuthenticationRequest(user: "alice", password: "alicepw"))
        #expect(store.connections[0].holdsInput, "the SET waits unparsed")
        #expect(store.sent.isEmpty)
        #expect(store.replies().isEmpty)
        store.answerAuthentications()
        store.settle()
        #expect(store.replies() == [.ok, .ok, .bulk("1")])
        #expect(!store.connections[0].holdsInput)

        var refused = harness()
        refused.answersAuthentications = false
        refused.send(StoreHarness.multibulk(["AUTH", "alice", "bad"]) + StoreHarness.multibulk(["GET", "app/x"]))
        refused.answerAuthentications()
        refused.settle()
        #expect(refused.replies() == [Self.wrongPass, Self.noAuth])
        #expect(refused.sent.isEmpty)
    }

    @Test func helloWithAuthAuthenticatesAndSwitchesProtocolOnlyWhenThePasswordIsRight() {
        var store = harness()
        #expect(store.one("HELLO", "3", "AUTH", "alice", "bad", "SETNAME", "app") == Self.wrongPass)
        #expect(store.connections[0].protocolVersion == .resp2)
        #expect(store.connections[0].name == nil)
        let before = store.written[0].count
        store.send(StoreHarness.multibulk(["HELLO", "3", "AUTH", "alice", "alicepw", "SETNAME", "app"]))
        let text = String(decoding: store.written[0][before...], as: UTF8.self)
        #expect(text.hasPrefix("%7\r\n$6\r\nserver\r\n"), "HELLO's RESP3 map: \(text)")
        _ = store.replies()
        #expect(store.connections[0].protocolVersion == .resp3)
        #expect(store.connections[0].name == "app")
        #expect(store.connections[0].user == "alice")
        #expect(store.one("HELLO") != nil)
    }

    @Test func aClientCertificateNamesTheUser() {
        var store = harness()
        store.connections[0].authenticate(certificateUser: "alice")
        #expect(store.one("SET", "app/x", "1") == .ok)
        #expect(store.one("SET", "other", "1") == Self.noPermKeys)
    }

    @Test func withoutUsersAuthAnswersAsBefore() {
        var store = StoreHarness()
        #expect(store.one("GET", "x") == .null)
        #expect(store.one("AUTH", "pw") == .error(RedisError.noPasswordConfigured.message))
        #expect(store.one("AUTH", "default", "anything") == .ok)
        #expect(store.authentications.isEmpty, "no password check without users")
    }

    @Test func aclWhoamiNamesTheConnectionsUser() {
        var store = harness()
        #expect(store.one("ACL", "WHOAMI") == Self.noAuth, "not one of Redis's no-auth commands")
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("ACL", "WHOAMI") == .bulkString(Array("alice".utf8)))
        store.connect(to: 1)
        store.connections[1].authenticate(certificateUser: "carol")
        store.connections[1].accessControl = store.connections[0].accessControl
        #expect(store.one("ACL", "WHOAMI", on: 1) == .bulkString(Array("carol".utf8)), "a client certificate's user")
        #expect(store.sent.isEmpty, "nothing reached the store")

        var open = StoreHarness()
        #expect(open.one("ACL", "WHOAMI") == .bulkString(Array("default".utf8)), "without users every connection is `default`")
        #expect(open.one("AUTH", "default", "anything") == .ok)
        #expect(open.one("ACL", "WHOAMI") == .bulkString(Array("default".utf8)))
    }

    @Test func aclUsersListsTheUsersSortedToAnAdministratorOnly() {
        var store = harness(PrefixAccess(readable: ["bob": [], "alice": ["app/"], "Zed": []]))
        #expect(store.one("ACL", "USERS") == Self.noAuth)
        #expect(store.one("AUTH", "alice", "alicepw") == .ok)
        #expect(store.one("ACL", "USERS") == .error("NOPERM this user has no permissions to run the 'acl|users' command"))
        #expect(store.one("AUTH", "root", "rootpw") == .ok)
        #expect(store.one("ACL", "USERS") == .array(["Zed", "alice", "bob", "root"].map { .bulkString(Array($0.utf8)) }), "by bytes")
        // While no user is required every connection is `default`, whom the list names too.
        store.connections[0].accessControl = PrefixAccess(requiresAuthentication: false, readable: ["bob": []])
        #expect(store.one("ACL", "USERS") == .array(["bob", "default", "root"].map { .bulkString(Array($0.utf8)) }))
        var open = StoreHarness()
        #expect(open.one("ACL", "USERS") == .array([.bulkString(Array("default".utf8))]), "as a fresh Redis")
        #expect(open.one("ACL", "HELP") == .array(RedisConnection.aclHelpLines.map { .simpleString($0) }))
        #expect(open.sent.isEmpty)
    }
}
