import Foundation
import Testing

/// With `--client-cert-auth` and auth enabled, the subject common name of
/// a client's verified certificate is its user when it sends no token, as
/// in etcd 3.4: etcdctl with `--cacert --cert --key` and no `--user` is
/// allowed and refused per that user's permissions, with etcd's errors.
extension ProcessClusterTests {
@Suite struct EtcdctlCertificateAuthTests {
    @Test func aClientCertificatesCommonNameIsItsUser() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-cert-auth-\(UUID().uuidString)")
        let certificates = try await TestCertificates.make(in: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["n1", "n2", "n3"] { try await certificates.issue(name) }
        // The harness's own etcdctl presents a certificate naming root.
        let rootClient = try await certificates.issue("root-client", commonName: "root")
        let dave = try await certificates.issue("dave")
        let mallory = try await certificates.issue("mallory")
        let tls = ProcessCluster.TLS(certificates: certificates, client: rootClient)
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls) { cluster in
            func etcdctl(_ pair: TestCertificates.Pair, _ arguments: [String], endpoint: Int) async throws -> (status: Int32, output: String, error: String?) {
                let result = try await runCommand(
                    "/usr/bin/etcdctl",
                    [
                        "--endpoints=\(cluster.endpoint(endpoint))", "--dial-timeout=3s", "--command-timeout=8s",
                        "--cacert=\(certificates.authority)", "--cert=\(pair.certificate)", "--key=\(pair.key)",
                    ] + arguments,
                    environment: ["ETCDCTL_API": "3"])
                return AuthStep.observed(result)
            }
            let denied = "Error: etcdserver: permission denied"
            for arguments in [
                ["user", "add", "root", "--new-user-password=rootpw"], ["user", "add", "dave", "--new-user-password=davepw"],
                ["role", "add", "reader"], ["role", "grant-permission", "--prefix", "reader", "read", "app/"],
                ["role", "grant-permission", "--prefix", "reader", "readwrite", "dave/"], ["user", "grant-role", "dave", "reader"],
                ["put", "app/x", "v"], ["auth", "enable"],
            ] {
                _ = try await cluster.etcdctlOK(arguments)
            }
            // The certificate naming root manages users without a password.
            #expect(try await cluster.etcdctlOK(["user", "list"]) == "dave\nroot\n")
            for index in 0..<3 {
                // Every member takes dave's certificate as dave.
                #expect(try await etcdctl(dave, ["get", "app/x"], endpoint: index) == (0, "app/x\nv\n", nil))
                #expect(try await etcdctl(dave, ["put", "dave/\(index)", "v"], endpoint: index) == (0, "OK\n", nil))
                #expect(try await etcdctl(dave, ["put", "app/y", "v"], endpoint: index) == (1, "", denied))
                #expect(try await etcdctl(dave, ["user", "list"], endpoint: index) == (1, "", denied))
                // A common name that is no user is refused as etcd refuses an unknown user.
                #expect(try await etcdctl(mallory, ["get", "app/x"], endpoint: index) == (1, "", denied))
            }
            // Calls served by GRPCServer (watch, lock) take the certificate's user too.
            let watch = try await etcdctl(dave, ["watch", "zed"], endpoint: 1)
            #expect(watch.status == 5)
            #expect(
                watch.error
                    == "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\nError: watch is canceled by the server")
            #expect(try await etcdctl(dave, ["lock", "mylock"], endpoint: 2) == (1, "", denied))
            // A token, when sent, names the user instead of the certificate.
            #expect(try await etcdctl(dave, ["--user=root:rootpw", "user", "list"], endpoint: 0) == (0, "dave\nroot\n", nil))
            #expect(try await etcdctl(rootClient, ["--user=dave:davepw", "user", "list"], endpoint: 0) == (1, "", denied))
            // Once auth is disabled the certificate no longer matters.
            _ = try await cluster.etcdctlOK(["auth", "disable"])
            #expect(try await etcdctl(mallory, ["put", "app/y", "w"], endpoint: 0) == (0, "OK\n", nil))
        }
    }
}
}
