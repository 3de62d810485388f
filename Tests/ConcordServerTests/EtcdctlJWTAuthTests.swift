import ConcordEtcdAPI
@testable import ConcordServer
import Foundation
import GRPCCore
import Testing

/// `--auth-token jwt,…` with an openssl-made key: etcdctl authenticates
/// and is allowed and refused per its permissions on every member, as
/// with simple tokens; a bad option stops the start with a clear message.
extension ProcessClusterTests {
@Suite struct EtcdctlJWTAuthTests {
    @Test func etcdctlWorksWithJWTTokensSignedByAnOpensslKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-jwt-cluster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try JWTTokensTests.keys(.es256, in: directory)
        let option = "jwt,pub-key=\(keys.publicKey),priv-key=\(keys.privateKey),sign-method=ES256,ttl=5m"
        try await ProcessCluster.withRunningCluster(size: 3, extraArguments: ["--auth-token", option]) { cluster in
            for arguments in [
                ["user", "add", "root", "--new-user-password=rootpw"], ["user", "add", "carol", "--new-user-password=carolpw"],
                ["role", "add", "writer"], ["role", "grant-permission", "--prefix", "writer", "readwrite", "c/"],
                ["user", "grant-role", "carol", "writer"], ["auth", "enable"],
            ] {
                _ = try await cluster.etcdctlOK(arguments)
            }
            for index in 0..<3 {
                let endpoint = cluster.endpoint(index)
                #expect(try await cluster.etcdctlOK(["--user=carol:carolpw", "put", "c/\(index)", "v"], endpoints: endpoint) == "OK\n")
                let refused = try await cluster.etcdctl(["--user=carol:carolpw", "put", "d", "v"], endpoints: endpoint)
                #expect(AuthStep.observed(refused).error == "Error: etcdserver: permission denied")
                let anonymous = try await cluster.etcdctl(["get", "c/0"], endpoints: endpoint)
                #expect(AuthStep.observed(anonymous).error == "Error: etcdserver: user name is empty")
            }
            // Every endpoint at once: etcd's client may send the token to any member.
            #expect(try await cluster.etcdctlOK(["--user=carol:carolpw", "get", "--prefix", "c/"]) == "c/0\nv\nc/1\nv\nc/2\nv\n")
            let bad = try await cluster.etcdctl(["--user=carol:wrong", "get", "c/0"])
            #expect(AuthStep.observed(bad).error == "Error: etcdserver: authentication failed, invalid user ID or password")
            #expect(try await cluster.etcdctlOK(["--user=root:rootpw", "user", "list"]) == "carol\nroot\n")
            // The token is a JWT of carol's, signed with the key, and good on every member at once.
            let client = try EtcdClient(port: cluster.nodes[0].clientPort)
            defer { client.close() }
            var authenticate = Etcdserverpb_AuthenticateRequest()
            authenticate.name = "carol"
            authenticate.password = "carolpw"
            let token = try await Etcdserverpb_Auth.Client(wrapping: client.client)
                .authenticate(authenticate, options: EtcdClient.options(seconds: 8)).token
            let verifier = try JWTTokens(.init(publicKeyPath: keys.publicKey, privateKeyPath: keys.privateKey, signMethod: .es256, ttlSeconds: 300))
            #expect(verifier.verify(token, nowSeconds: JWTTokens.wallClockSeconds())?.name == "carol")
            let foreignDirectory = directory.appendingPathComponent("foreign")
            let foreignKeys = try JWTTokensTests.keys(.es256, in: foreignDirectory)
            let forged = try JWTTokens(
                .init(publicKeyPath: foreignKeys.publicKey, privateKeyPath: foreignKeys.privateKey, signMethod: .es256, ttlSeconds: 300))
                .sign(user: "root", revision: 1_000, nowSeconds: JWTTokens.wallClockSeconds())
            for index in 1..<3 {
                let other = try EtcdClient(port: cluster.nodes[index].clientPort)
                defer { other.close() }
                var range = Etcdserverpb_RangeRequest()
                range.key = Data("c/0".utf8)
                let response = try await other.kv.range(range, metadata: ["token": .string(token)], options: EtcdClient.options(seconds: 8))
                #expect(response.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["v"])
                await #expect(throws: RPCError.self) {
                    do {
                        _ = try await other.kv.range(range, metadata: ["token": .string(forged)], options: EtcdClient.options(seconds: 8))
                    } catch let error as RPCError {
                        #expect(error.code == .unauthenticated && error.message == "etcdserver: invalid auth token", "\(error)")
                        throw error
                    }
                }
            }
        }
    }

    @Test func aBadAuthTokenOptionStopsTheStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-jwt-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = try freePort(), peer = try freePort()
        let base = [
            "server", "--name", "n1", "--data-dir", directory.appendingPathComponent("n1").path,
            "--listen-client-urls", "http://127.0.0.1:\(client)", "--listen-peer-urls", "http://127.0.0.1:\(peer)",
            "--initial-cluster", "n1=http://127.0.0.1:\(peer)",
        ]
        let cases = [
            ("jwt,sign-method=ES256", "jwt needs pub-key=PATH and priv-key=PATH"),
            ("jwt,pub-key=/absent/pub.pem,priv-key=/absent/priv.pem,sign-method=ES256", "cannot read /absent/priv.pem"),
            ("opaque", "unknown token type"),
        ]
        for (option, message) in cases {
            let result = try await runCommand(try concordBinary().path, base + ["--auth-token", option])
            #expect(result.status != 0, "\(option)")
            #expect(result.error.contains(message), "\(option): \(result.error)")
        }
    }
}
}
