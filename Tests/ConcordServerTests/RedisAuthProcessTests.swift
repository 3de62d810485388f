import Foundation
import Testing

extension ProcessClusterTests {
    /// etcd's users, roles and key permissions on the Redis face: three
    /// `concord server` processes with auth enabled through etcdctl,
    /// checked with Debian's redis-cli and redis-py.
    @Suite struct RedisAuthProcessTests {
        private static let noAuth = "(error) NOAUTH Authentication required."
        private static let wrongPass = "(error) WRONGPASS invalid username-password pair or user is disabled."
        private static let noPermKeys = "(error) NOPERM this user has no permissions to access one of the keys used as arguments"
        private static let alice = ["--no-auth-warning", "--user", "alice", "--pass", "alicepw"]
        private static let root = ["--no-auth-warning", "--user", "root", "--pass", "rootpw"]

        private func expect(
            _ cluster: ProcessCluster, _ index: Int, _ arguments: [String], _ expected: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let output = try await redisCLI(cluster.redisPort(index), arguments)
            #expect(output == expected, "redis-cli \(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
        }

        /// A redis-py connection that stays open while etcdctl changes
        /// alice's roles and then disables auth; each line is one reply or
        /// the error's class and text.
        private static let openConnectionScript = """
            import subprocess, sys, redis
            port, endpoint = int(sys.argv[1]), sys.argv[2]
            def etcdctl(*arguments):
                result = subprocess.run(
                    ["/usr/bin/etcdctl", "--endpoints=" + endpoint, "--dial-timeout=3s", "--command-timeout=8s",
                     "--user=root:rootpw"] + list(arguments),
                    env={"ETCDCTL_API": "3"}, capture_output=True, text=True)
                if result.returncode != 0:
                    raise SystemExit("etcdctl %s failed: %s" % (arguments, result.stderr))
            def attempt(call):
                try:
                    return repr(call())
                except redis.exceptions.RedisError as error:
                    return "%s: %s" % (type(error).__name__, error)
            alice = redis.Redis(port=port, username="alice", password="alicepw", single_connection_client=True)
            print(attempt(lambda: alice.set("app/open", "1")))
            connection = alice.client_id()
            etcdctl("user", "revoke-role", "alice", "app")
            print(attempt(lambda: alice.set("app/open", "2")))
            print(attempt(lambda: alice.get("app/open")))
            etcdctl("user", "grant-role", "alice", "app")
            print(attempt(lambda: alice.get("app/open")))
            print(attempt(lambda: alice.client_id() == connection))
            """

        /// A redis-py connection of bob's, open while etcdctl changes his
        /// password (the connection stays, as after Redis's ACL SETUSER)
        /// and then deletes him (the member closes it without waiting for
        /// a command, as Redis closes a user's connections on ACL DELUSER).
        private static let deletedUserScript = """
            import subprocess, sys, redis
            port, endpoint = int(sys.argv[1]), sys.argv[2]
            def etcdctl(*arguments, stdin=None):
                result = subprocess.run(
                    ["/usr/bin/etcdctl", "--endpoints=" + endpoint, "--dial-timeout=3s", "--command-timeout=8s",
                     "--user=root:rootpw"] + list(arguments),
                    env={"ETCDCTL_API": "3"}, input=stdin, capture_output=True, text=True)
                if result.returncode != 0:
                    raise SystemExit("etcdctl %s failed: %s" % (arguments, result.stderr))
            bob = redis.Redis(port=port, username="bob", password="bobpw", single_connection_client=True)
            print(bob.execute_command("ACL", "WHOAMI"))
            etcdctl("user", "passwd", "bob", "--interactive=false", stdin="newbobpw\\n")
            print(redis.Redis(port=port, username="bob", password="newbobpw").execute_command("ACL", "WHOAMI"))
            print(bob.execute_command("ACL", "WHOAMI"))
            etcdctl("user", "delete", "bob")
            socket = bob.connection._sock
            socket.settimeout(20)
            print(socket.recv(16))
            """

        @Test func etcdUsersAuthenticateAndAreHeldToTheirKeyPermissions() async throws {
            try await ProcessCluster.withRunningCluster(size: 3, redis: true) { cluster in
                try await cluster.waitForRedis(seconds: 30)
                try await expect(cluster, 0, ["set", "other/x", "before"], "OK")
                for arguments in [
                    ["user", "add", "root", "--new-user-password=rootpw"], ["user", "add", "alice", "--new-user-password=alicepw"],
                    ["user", "add", "bob", "--new-user-password=bobpw"], ["role", "add", "app"], ["role", "grant-permission", "--prefix", "app", "readwrite", "app/"],
                    ["role", "grant-permission", "app", "read", "shared"], ["user", "grant-role", "alice", "app"], ["auth", "enable"],
                ] {
                    _ = try await cluster.etcdctlOK(arguments)
                }
                // Every member refuses a connection that did not authenticate.
                for index in 0..<3 {
                    try await waitUntil("member \(index) to ask for authentication", seconds: 20) {
                        try await redisCLI(cluster.redisPort(index), ["get", "app/x"]) == Self.noAuth
                    }
                }
                try await expect(cluster, 1, ["set", "app/x", "1"], Self.noAuth)
                try await expect(cluster, 1, ["ping"], Self.noAuth)
                try await expect(
                    cluster, 1, ["hello", "3"],
                    "(error) NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> "
                        + "option can be used to authenticate the client and select the RESP protocol version at the same time")

                // Passwords are etcd's.
                try await expect(cluster, 0, ["auth", "alice", "wrong"], Self.wrongPass)
                try await expect(cluster, 0, ["auth", "nobody", "alicepw"], Self.wrongPass)
                try await expect(cluster, 0, ["auth", "alicepw"], Self.wrongPass)  // `default` is no etcd user here
                try await expect(cluster, 0, ["auth", "alice", "alicepw"], "OK")
                let hello = try await redisCLI(cluster.redisPort(2), ["hello", "3", "auth", "alice", "alicepw"])
                #expect(hello.contains("\"concord\"") && hello.contains("proto"), "\(hello)")
                try await expect(cluster, 2, ["hello", "3", "auth", "alice", "wrong"], Self.wrongPass)

                // Permitted keys work from every member; others get NOPERM and stay as they were.
                try await expect(cluster, 0, Self.alice + ["set", "app/x", "1"], "OK")
                try await expect(cluster, 1, Self.alice + ["get", "app/x"], "\"1\"")
                try await expect(cluster, 2, Self.alice + ["incr", "app/n"], "(integer) 1")
                try await expect(cluster, 0, Self.alice + ["get", "shared"], "(nil)")
                try await expect(cluster, 1, Self.alice + ["set", "other/x", "after"], Self.noPermKeys)
                try await expect(cluster, 2, Self.alice + ["del", "other/x"], Self.noPermKeys)
                try await expect(cluster, 0, Self.alice + ["set", "shared", "1"], Self.noPermKeys)
                try await expect(cluster, 1, Self.alice + ["mset", "app/y", "1", "other/x", "after"], Self.noPermKeys)
                try await expect(cluster, 2, Self.alice + ["get", "other/x"], Self.noPermKeys)
                try await expect(cluster, 0, Self.alice + ["keys", "*"], "(error) NOPERM this user has no permissions to run the 'keys' command")
                try await expect(cluster, 0, Self.root + ["get", "other/x"], "\"before\"")
                try await expect(cluster, 1, Self.root + ["exists", "app/y"], "(integer) 0")
                try await expect(cluster, 2, Self.root + ["dbsize"], "(integer) 6")

                // ACL WHOAMI and USERS; users are managed through etcdctl.
                try await expect(cluster, 0, Self.alice + ["acl", "whoami"], "\"alice\"")
                try await expect(cluster, 1, Self.root + ["acl", "users"], "1) \"alice\"\n2) \"bob\"\n3) \"root\"")
                try await expect(
                    cluster, 2, Self.alice + ["acl", "users"], "(error) NOPERM this user has no permissions to run the 'acl|users' command")
                try await expect(cluster, 0, Self.root + ["acl", "deluser", "bob"], "(error) ERR unknown subcommand 'deluser'. Try ACL HELP.")

                // Changes to roles apply to a connection already open.
                let lines = try await python(Self.openConnectionScript, ["\(cluster.redisPort(0))", cluster.endpoint(0)])
                #expect(
                    lines.split(separator: "\n").map(String.init) == [
                        "True",
                        "NoPermissionError: this user has no permissions to access one of the keys used as arguments",
                        "NoPermissionError: this user has no permissions to access one of the keys used as arguments",
                        "b'1'", "True",
                    ], "\(lines)")

                // A user deleted through etcd loses its open connections.
                let deleted = try await python(Self.deletedUserScript, ["\(cluster.redisPort(0))", cluster.endpoint(0)])
                #expect(deleted.split(separator: "\n").map(String.init) == ["b'bob'", "b'bob'", "b'bob'", "b''"], "\(deleted)")

                // auth disable lets every connection in again.
                _ = try await cluster.etcdctlOK(["--user=root:rootpw", "auth", "disable"])
                for index in 0..<3 {
                    try await waitUntil("member \(index) to serve anonymous clients again", seconds: 20) {
                        try await redisCLI(cluster.redisPort(index), ["get", "app/open"]) == "\"1\""
                    }
                }
                try await expect(cluster, 1, ["set", "other/x", "free"], "OK")
                try await expect(cluster, 2, ["auth", "alicepw"], "(error) " + RedisAuthProcessTests.noPasswordConfigured)
            }
        }

        /// On a `rediss://` port with `--client-cert-auth`, the common name
        /// of the client's certificate is its user, as for etcd calls.
        @Test func aClientCertificatesCommonNameIsItsUserOverTLS() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-redis-cert-auth-\(UUID().uuidString)")
            let certificates = try await TestCertificates.make(in: directory)
            defer { try? FileManager.default.removeItem(at: directory) }
            for name in ["n1", "n2", "n3"] { try await certificates.issue(name) }
            let rootClient = try await certificates.issue("root-client", commonName: "root")
            let dave = try await certificates.issue("dave")
            let mallory = try await certificates.issue("mallory")
            let tls = ProcessCluster.TLS(certificates: certificates, client: rootClient)
            try await ProcessCluster.withRunningCluster(size: 3, tls: tls, redis: true) { cluster in
                func redis(_ pair: TestCertificates.Pair, _ index: Int, _ arguments: [String]) async throws -> String {
                    try await redisCLI(
                        cluster.redisPort(index),
                        ["--tls", "--cacert", certificates.authority, "--cert", pair.certificate, "--key", pair.key] + arguments)
                }
                try await waitUntil("PONG over TLS", seconds: 30) { try await redis(dave, 0, ["ping"]) == "PONG" }
                for arguments in [
                    ["user", "add", "root", "--new-user-password=rootpw"], ["user", "add", "dave", "--new-user-password=davepw"],
                    ["role", "add", "app"], ["role", "grant-permission", "--prefix", "app", "readwrite", "dave/"],
                    ["user", "grant-role", "dave", "app"], ["auth", "enable"],
                ] {
                    _ = try await cluster.etcdctlOK(arguments)
                }
                for index in 0..<3 {
                    try await waitUntil("member \(index) to hold dave to his permissions", seconds: 20) {
                        try await redis(dave, index, ["set", "elsewhere", "1"]) == Self.noPermKeys
                    }
                    #expect(try await redis(dave, index, ["set", "dave/\(index)", "v"]) == "OK")
                    #expect(try await redis(dave, index, ["get", "dave/\(index)"]) == "\"v\"")
                    // A common name that is no user is refused every key.
                    #expect(try await redis(mallory, index, ["get", "dave/\(index)"]) == Self.noPermKeys)
                }
                #expect(try await redis(rootClient, 1, ["keys", "dave/*"]).split(separator: "\n").count == 3)
                // AUTH names another user than the certificate.
                #expect(try await redis(mallory, 2, ["--no-auth-warning", "--user", "dave", "--pass", "davepw", "get", "dave/0"]) == "\"v\"")
            }
        }

        private static let noPasswordConfigured =
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    }
}
