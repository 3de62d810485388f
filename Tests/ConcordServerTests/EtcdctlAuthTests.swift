import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One etcdctl command of the auth transcript and what etcd 3.4 answers:
/// its exit status, standard output, and standard error (without the
/// client's retry warnings, JSON lines that carry times and ids).
struct AuthStep {
    var arguments: [String]
    var input: String?
    var status: Int32
    var output: String
    var error: String?

    init(_ arguments: [String], input: String? = nil, status: Int32 = 0, _ output: String = "", error: String? = nil) {
        self.arguments = arguments
        self.input = input
        self.status = status
        self.output = output
        self.error = error
    }

    /// What a run printed, in the form the steps state.
    static func observed(_ result: CommandResult) -> (status: Int32, output: String, error: String?) {
        let lines = result.error.split(separator: "\n").filter { !$0.hasPrefix("{\"level\":") }
        return (result.status, result.output, lines.isEmpty ? nil : lines.joined(separator: "\n"))
    }

    static let root = "--user=root:rootpw"
    static let alice = "--user=alice:alicepw"

    /// Users and roles, `auth enable` (which adds the root role on the
    /// way), requests allowed and refused per permission (KV, Txn, Watch,
    /// Lock, Election), good and bad
    /// passwords, management refused to a non-root user and to root on
    /// itself, a password change, and `auth disable`. The outputs are
    /// those of etcd 3.4 (etcdctl 3.4.23 against etcd 3.4).
    static let transcript: [AuthStep] = [
        AuthStep(["user", "add", "root", "--new-user-password=rootpw"], "User root created\n"),
        AuthStep(["user", "add", "alice", "--new-user-password=alicepw"], "User alice created\n"),
        AuthStep(["user", "add", "alice", "--new-user-password=x"], status: 1, error: "Error: etcdserver: user name already exists"),
        AuthStep(["role", "add", "reader"], "Role reader created\n"),
        AuthStep(["role", "add", "reader"], status: 1, error: "Error: etcdserver: role name already exists"),
        AuthStep(["role", "grant-permission", "reader", "read", "foo"], "Role reader updated\n"),
        AuthStep(["role", "grant-permission", "--prefix", "reader", "readwrite", "app/"], "Role reader updated\n"),
        AuthStep(["role", "grant-permission", "reader", "write", "a", "z"], "Role reader updated\n"),
        AuthStep(
            ["role", "get", "reader"],
            "Role reader\nKV Read:\n\t[app/, app0) (prefix app/)\n\tfoo\nKV Write:\n\t[a, z)\n\t[app/, app0) (prefix app/)\n"),
        AuthStep(["role", "get", "nobody"], status: 1, error: "Error: etcdserver: role name not found"),
        AuthStep(["user", "grant-role", "alice", "reader"], "Role reader is granted to user alice\n"),
        AuthStep(["user", "grant-role", "alice", "nobody"], status: 1, error: "Error: etcdserver: role name not found"),
        AuthStep(["user", "grant-role", "bob", "reader"], status: 1, error: "Error: etcdserver: user name not found"),
        AuthStep(["user", "get", "alice"], "User: alice\nRoles: reader\n"),
        AuthStep(["user", "get", "bob"], status: 1, error: "Error: etcdserver: user name not found"),
        AuthStep(["user", "list"], "alice\nroot\n"),
        AuthStep(["role", "list"], "reader\n"),
        AuthStep(["auth", "enable"], "Authentication Enabled\n"),
        AuthStep(["role", "list"], status: 1, error: "Error: etcdserver: user name is empty"),
        AuthStep(["put", "foo", "bar"], status: 1, error: "Error: etcdserver: user name is empty"),
        AuthStep([root, "role", "list"], "reader\nroot\n"),
        AuthStep([root, "put", "foo", "bar"], "OK\n"),
        AuthStep([root, "put", "zed", "z"], "OK\n"),
        AuthStep([alice, "get", "foo"], "foo\nbar\n"),
        AuthStep([alice, "put", "foo", "x"], "OK\n"),
        AuthStep([alice, "get", "zed"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "put", "zed", "y"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "del", "foo", "fop"], "1\n"),
        AuthStep(["--user=alice:wrong", "get", "foo"], status: 2, error: "Error: etcdserver: authentication failed, invalid user ID or password"),
        AuthStep(["--user=nobody:x", "get", "foo"], status: 2, error: "Error: etcdserver: authentication failed, invalid user ID or password"),
        AuthStep([alice, "put", "app/x", "1"], "OK\n"),
        AuthStep([alice, "get", "--prefix", "app/"], "app/x\n1\n"),
        AuthStep([alice, "get", "--prefix", "ap"], status: 1, error: "Error: etcdserver: permission denied"),
        // Every compare and both branches of a transaction are checked.
        AuthStep([alice, "txn"], input: "value(\"app/x\") = \"1\"\n\nput app/y 2\n\nget foo\n\n", "SUCCESS\n\nOK\n"),
        AuthStep([alice, "txn"], input: "value(\"app/x\") = \"1\"\n\nput app/y 2\n\nget zed\n\n", status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "txn"], input: "value(\"zed\") = \"z\"\n\nput app/y 2\n\n\n", status: 1, error: "Error: etcdserver: permission denied"),
        // Watch, Lock and Election calls are checked too.
        AuthStep(
            [alice, "watch", "zed"], status: 5,
            error: "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\nError: watch is canceled by the server"),
        AuthStep(
            ["watch", "app/x"], status: 5,
            error: "watch was canceled (rpc error: code = InvalidArgument desc = etcdserver: user name is empty)\nError: watch is canceled by the server"),
        AuthStep([alice, "lock", "mylock"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "elect", "myelection", "p"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "user", "list"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "user", "get", "alice"], "User: alice\nRoles: reader\n"),
        AuthStep([alice, "user", "get", "root"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([alice, "role", "get", "reader"], "Role reader\nKV Read:\n\t[app/, app0) (prefix app/)\n\tfoo\nKV Write:\n\t[a, z)\n\t[app/, app0) (prefix app/)\n"),
        AuthStep([alice, "role", "add", "writer"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([root, "role", "revoke-permission", "reader", "foo"], "Permission of key foo is revoked from role reader\n"),
        AuthStep([root, "role", "revoke-permission", "reader", "foo"], status: 1, error: "Error: etcdserver: permission is not granted to the role"),
        AuthStep([alice, "get", "foo"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([root, "user", "delete", "root"], status: 1, error: "Error: etcdserver: invalid auth management"),
        AuthStep([root, "user", "revoke-role", "root", "root"], status: 1, error: "Error: etcdserver: invalid auth management"),
        AuthStep([root, "role", "delete", "root"], status: 1, error: "Error: etcdserver: invalid auth management"),
        AuthStep([root, "user", "passwd", "alice", "--interactive=false"], input: "alice2\n", "Password updated\n"),
        AuthStep([alice, "get", "app/x"], status: 2, error: "Error: etcdserver: authentication failed, invalid user ID or password"),
        AuthStep(["--user=alice:alice2", "get", "app/x"], "app/x\n1\n"),
        AuthStep([root, "user", "revoke-role", "alice", "reader"], "Role reader is revoked from user alice\n"),
        AuthStep([root, "user", "revoke-role", "alice", "reader"], status: 1, error: "Error: etcdserver: role is not granted to the user"),
        AuthStep(["--user=alice:alice2", "get", "app/x"], status: 1, error: "Error: etcdserver: permission denied"),
        AuthStep([root, "auth", "disable"], "Authentication Disabled\n"),
        AuthStep(["get", "zed"], "zed\nz\n"),
        AuthStep(["user", "delete", "alice"], "User alice deleted\n"),
        AuthStep(["user", "delete", "alice"], status: 1, error: "Error: etcdserver: user name not found"),
        AuthStep(["role", "delete", "reader"], "Role reader deleted\n"),
        AuthStep(["role", "list"], "root\n"),
    ]
}

/// etcdctl 3.4's user, role and auth commands against a three-process
/// Concord cluster, with etcd 3.4's outputs and errors.
extension ProcessClusterTests {
@Suite struct EtcdctlAuthTests {
    @Test func theAuthTranscriptGivesEtcdsOutputsAndErrors() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            for step in AuthStep.transcript {
                let observed = AuthStep.observed(try await cluster.etcdctl(step.arguments, input: step.input))
                #expect(observed.status == step.status, "etcdctl \(step.arguments)")
                #expect(observed.output == step.output, "etcdctl \(step.arguments)")
                #expect(observed.error == step.error, "etcdctl \(step.arguments)")
            }
        }
    }

    /// The differential check: the same transcript against a real etcd 3.4
    /// member (Debian's etcd-server) and against Concord gives the same
    /// statuses, outputs and error lines.
    @Test func theAuthTranscriptAnswersAsARealEtcdDoes() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        try etcd.start()
        try await waitUntil("etcd serves", seconds: 20) {
            (try? await runCommand("/usr/bin/etcdctl", ["--endpoints=\(etcd.endpoint)", "--dial-timeout=1s", "endpoint", "health"],
                environment: ["ETCDCTL_API": "3"]))?.status == 0
        }
        var fromEtcd: [(status: Int32, output: String, error: String?)] = []
        for step in AuthStep.transcript {
            let result = try await runCommand(
                "/usr/bin/etcdctl", ["--endpoints=\(etcd.endpoint)", "--dial-timeout=3s", "--command-timeout=8s"] + step.arguments,
                environment: ["ETCDCTL_API": "3"], input: step.input)
            fromEtcd.append(AuthStep.observed(result))
        }
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            for (index, step) in AuthStep.transcript.enumerated() {
                let observed = AuthStep.observed(try await cluster.etcdctl(step.arguments, input: step.input))
                let reference = fromEtcd[index]
                #expect(observed.status == reference.status, "etcdctl \(step.arguments)")
                #expect(observed.output == reference.output, "etcdctl \(step.arguments)")
                #expect(observed.error == reference.error, "etcdctl \(step.arguments)")
            }
        }
    }

    @Test func authStateSurvivesARestartAndEveryMemberEnforcesIt() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            _ = try await cluster.etcdctlOK(["user", "add", "root", "--new-user-password=rootpw"])
            _ = try await cluster.etcdctlOK(["user", "add", "carol", "--new-user-password=carolpw"])
            _ = try await cluster.etcdctlOK(["role", "add", "writer"])
            _ = try await cluster.etcdctlOK(["role", "grant-permission", "--prefix", "writer", "readwrite", "c/"])
            _ = try await cluster.etcdctlOK(["user", "grant-role", "carol", "writer"])
            _ = try await cluster.etcdctlOK(["auth", "enable"])
            // Each member issues its own tokens and checks them against the replicated store.
            for index in 0..<3 {
                let endpoint = cluster.endpoint(index)
                #expect(try await cluster.etcdctlOK(["--user=carol:carolpw", "put", "c/\(index)", "v"], endpoints: endpoint) == "OK\n")
                let refused = try await cluster.etcdctl(["--user=carol:carolpw", "put", "d", "v"], endpoints: endpoint)
                #expect(AuthStep.observed(refused).error == "Error: etcdserver: permission denied")
            }
            // A member restarted from its data directory keeps users, roles and the enabled flag.
            cluster.kill9(1)
            try cluster.start(1)
            let endpoint = cluster.endpoint(1)
            try await waitUntil("the restarted member serves carol", seconds: 20) {
                (try? await cluster.etcdctlOK(["--user=carol:carolpw", "get", "--prefix", "c/"], endpoints: endpoint))
                    == "c/0\nv\nc/1\nv\nc/2\nv\n"
            }
            let anonymous = try await cluster.etcdctl(["get", "c/0"], endpoints: endpoint)
            #expect(AuthStep.observed(anonymous).error == "Error: etcdserver: user name is empty")
            let bad = try await cluster.etcdctl(["--user=carol:wrong", "get", "c/0"], endpoints: endpoint)
            #expect(AuthStep.observed(bad).error == "Error: etcdserver: authentication failed, invalid user ID or password")
            // Revoking a lease needs write permission on every key attached to it.
            let lease = try ProcessCluster.grantedLeaseID(try await cluster.etcdctlOK(["--user=root:rootpw", "lease", "grant", "100"]))
            _ = try await cluster.etcdctlOK(["--user=root:rootpw", "put", "--lease=\(lease)", "d", "v"])
            // Nor may carol attach a key of hers to that lease (etcd's checkLeasePuts on Put).
            let attach = try await cluster.etcdctl(["--user=carol:carolpw", "put", "--lease=\(lease)", "c/leased", "v"])
            #expect(AuthStep.observed(attach).error == "Error: etcdserver: permission denied")
            let revoke = try await cluster.etcdctl(["--user=carol:carolpw", "lease", "revoke", lease])
            #expect(AuthStep.observed(revoke).error == "Error: failed to revoke lease (etcdserver: permission denied)")
            #expect(try await cluster.etcdctlOK(["--user=root:rootpw", "lease", "revoke", lease]) == "lease \(lease) revoked\n")
        }
    }
}
}

/// A real etcd 3.4 member on loopback ports with a temporary data
/// directory, for the differential test.
final class RealEtcd: @unchecked Sendable {
    let clientPort: Int
    let peerPort: Int
    let directory: URL
    private var process: Process?

    var endpoint: String { "127.0.0.1:\(clientPort)" }

    init() throws {
        clientPort = try freePort()
        peerPort = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-auth-etcd-\(UUID().uuidString)")
    }

    func start() throws {
        let peerURL = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = [
            "--name", "reference", "--data-dir", directory.path,
            "--listen-client-urls", "http://\(endpoint)", "--advertise-client-urls", "http://\(endpoint)",
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "reference=\(peerURL)", "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
