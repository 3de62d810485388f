import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// etcdctl 3.4 against a three-process cluster whose client and peer links
/// are mutual TLS, with certificates made by openssl for the test.
extension ProcessClusterTests {
@Suite struct TLSProcessTests {
    /// A cluster CA with a certificate per node and one for etcdctl.
    private static func certificates(_ nodes: [String] = ["n1", "n2", "n3"]) async throws -> ProcessCluster.TLS {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-tls-\(UUID().uuidString)")
        let certificates = try await TestCertificates.make(in: directory)
        for name in nodes { try await certificates.issue(name) }
        let client = try await certificates.issue("client")
        return ProcessCluster.TLS(certificates: certificates, client: client)
    }

    @Test func etcdctlWithCACertAndKeyWorksAgainstAMutualTLSCluster() async throws {
        let tls = try await Self.certificates()
        defer { try? FileManager.default.removeItem(at: tls.certificates.directory) }
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls) { cluster in
            #expect(try await cluster.etcdctlOK(["put", "secure", "yes"]) == "OK\n")
            for index in 0..<3 {
                #expect(try await cluster.etcdctlOK(["get", "secure"], endpoints: cluster.endpoint(index)) == "secure\nyes\n")
            }
            // Each member publishes its https client URL through the log.
            try await waitUntil("every member to list its https peer and client URLs", seconds: 20) {
                let members = try await cluster.etcdctlOK(["member", "list"])
                return cluster.nodes.allSatisfy { node in
                    members.contains("started, \(node.name), https://127.0.0.1:\(node.peerPort), https://127.0.0.1:\(node.clientPort)")
                }
            }
            let health = try await cluster.etcdctl(["endpoint", "health", "--cluster"])
            #expect(health.status == 0, "\(health.error)")
            for index in 0..<3 { #expect((health.output + health.error).contains("\(cluster.endpoint(index)) is healthy")) }
        }
    }

    @Test func aTLSPortRefusesPlaintextClientsAndClientsWithoutATrustedCertificate() async throws {
        let tls = try await Self.certificates()
        defer { try? FileManager.default.removeItem(at: tls.certificates.directory) }
        let foreignClient = try await tls.certificates.issue("intruder", foreign: true)
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls) { cluster in
            let port = cluster.nodes[0].clientPort
            let base = ["--dial-timeout=2s", "--command-timeout=3s"]
            let plaintext = try await runCommand(
                "/usr/bin/etcdctl", ["--endpoints=http://127.0.0.1:\(port)"] + base + ["put", "plain", "text"],
                environment: ["ETCDCTL_API": "3"])
            #expect(plaintext.status != 0, "a plaintext client got: \(plaintext.output)")
            let noCertificate = try await runCommand(
                "/usr/bin/etcdctl",
                ["--endpoints=https://127.0.0.1:\(port)", "--cacert=\(tls.certificates.authority)"] + base + ["put", "anonymous", "x"],
                environment: ["ETCDCTL_API": "3"])
            #expect(noCertificate.status != 0, "a client without a certificate got: \(noCertificate.output)")
            let foreign = try await runCommand(
                "/usr/bin/etcdctl",
                [
                    "--endpoints=https://127.0.0.1:\(port)", "--cacert=\(tls.certificates.authority)",
                    "--cert=\(foreignClient.certificate)", "--key=\(foreignClient.key)",
                ] + base + ["put", "foreign", "x"],
                environment: ["ETCDCTL_API": "3"])
            #expect(foreign.status != 0, "a client with a foreign certificate got: \(foreign.output)")
            #expect(try await tls.certificates.handshakeSucceeds(port: port, client: tls.client))
            #expect(try await !tls.certificates.handshakeSucceeds(port: port, client: foreignClient))
            // None of them wrote anything.
            for key in ["plain", "anonymous", "foreign"] {
                #expect(try await cluster.etcdctlOK(["get", key]) == "")
            }
        }
    }

    @Test func aPeerWhoseCertificateTheClusterCADidNotSignIsRefused() async throws {
        let tls = try await Self.certificates(["n1", "n2"])
        defer { try? FileManager.default.removeItem(at: tls.certificates.directory) }
        // n3 trusts the cluster CA but presents a certificate of another CA.
        let foreign = try await tls.certificates.issue("n3", foreign: true)
        let cluster = try ProcessCluster(size: 3, tls: tls)
        cluster.setCertificate(2, foreign)
        try cluster.startAll()
        do {
            // n1 and n2 are a majority: they elect a leader and take writes.
            try await waitUntil("n1 or n2 to lead", seconds: 20) {
                let first = try await cluster.metric(0, "concord_server_is_leader") ?? 0
                let second = try await cluster.metric(1, "concord_server_is_leader") ?? 0
                return first + second == 1
            }
            let twoMembers = "\(cluster.endpoint(0)),\(cluster.endpoint(1))"
            #expect(try await cluster.etcdctlOK(["put", "k", "v"], endpoints: twoMembers) == "OK\n")
            // The peers refuse n3's certificate when it dials them, and n3's
            // server certificate when they dial it: their logs say so, and n3
            // never learns of a leader nor of the write.
            let leader = try await cluster.metric(0, "concord_server_is_leader") == 1 ? 0 : 1
            func log(_ index: Int) -> String { (try? String(contentsOf: cluster.nodes[index].logFile, encoding: .utf8)) ?? "" }
            try await waitUntil("n1 and n2 to refuse n3's connections, and the leader n3's certificate", seconds: 20) {
                log(0).contains("closing inbound peer connection") && log(1).contains("closing inbound peer connection")
                    && log(leader).contains("peer connection failed")
            }
            #expect(try await cluster.metric(2, "concord_server_has_leader") ?? 0 == 0)
            #expect(try await cluster.metric(2, "concord_server_is_leader") ?? 0 == 0)
            #expect(try await cluster.metric(2, "concord_server_entries_applied_total") ?? 0 == 0)
            // A handshake with a member's peer port presenting the foreign
            // certificate fails; with a certificate of the cluster CA it succeeds.
            #expect(try await !tls.certificates.handshakeSucceeds(port: cluster.nodes[0].peerPort, client: foreign))
            #expect(try await tls.certificates.handshakeSucceeds(port: cluster.nodes[0].peerPort, client: tls.client))
        } catch {
            let logs = cluster.logs()
            await cluster.shutdown()
            Issue.record("\(error)\n\(logs)")
            return
        }
        await cluster.shutdown()
    }

    @Test func certificatesAreReloadedOnSIGHUPAndOnFileChangesWithoutDroppingConnections() async throws {
        let tls = try await Self.certificates()
        defer { try? FileManager.default.removeItem(at: tls.certificates.directory) }
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls) { cluster in
            let port = cluster.nodes[0].clientPort
            let before = try await tls.certificates.presentedSubject(port: port, client: tls.client)
            #expect(before?.contains("CN = n1") == true, "\(before ?? "no handshake")")
            // A watch holds a connection to n1 across both reloads.
            let watcher = try WatchProcess(endpoints: cluster.endpoint(0), command: cluster.etcdctlTLSArguments + ["watch"], ["w"])
            defer { watcher.stop() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await cluster.etcdctlOK(["put", "w", "1"]) == "OK\n")
            _ = try await watcher.waitForOutput("PUT\nw\n1\n", seconds: 10)

            // The files change: new connections get the new certificate.
            try await tls.certificates.issue("n1", commonName: "n1 renewed")
            try await waitUntil("n1 to present its renewed certificate", seconds: 10) {
                try await tls.certificates.presentedSubject(port: port, client: tls.client)?.contains("CN = n1 renewed") == true
            }
            #expect(try await cluster.etcdctlOK(["put", "w", "2"], endpoints: cluster.endpoint(0)) == "OK\n")
            _ = try await watcher.waitForOutput("PUT\nw\n1\nPUT\nw\n2\n", seconds: 10)

            // SIGHUP: n2 reloads at once (its file watcher would also see
            // the change within a second; the signal must not stop it).
            try await tls.certificates.issue("n2", commonName: "n2 reissued")
            guard let n2 = cluster.nodes[1].process else { throw HarnessError(description: "n2 is not running") }
            kill(n2.processIdentifier, SIGHUP)
            try await waitUntil("n2 to present its reissued certificate", seconds: 10) {
                try await tls.certificates.presentedSubject(port: cluster.nodes[1].clientPort, client: tls.client)?
                    .contains("CN = n2 reissued") == true
            }
            #expect(cluster.isRunning(1))
            let log = (try? String(contentsOf: cluster.nodes[1].logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("SIGHUP: reloading TLS certificates"))

            // The watch's connection survived: it sees a later write, and the
            // peers (whose links were not dropped either) still replicate.
            #expect(try await cluster.etcdctlOK(["put", "w", "3"], endpoints: cluster.endpoint(1)) == "OK\n")
            let output = try await watcher.waitForOutput("PUT\nw\n1\nPUT\nw\n2\nPUT\nw\n3\n", seconds: 10)
            #expect(output == "PUT\nw\n1\nPUT\nw\n2\nPUT\nw\n3\n")
            // A half-written replacement is refused and the old certificate stays.
            try "not a certificate".write(toFile: tls.certificates.path("n3.crt"), atomically: true, encoding: .utf8)
            kill(cluster.nodes[2].process!.processIdentifier, SIGHUP)
            try await waitUntil("n3 to log the refused reload", seconds: 10) {
                ((try? String(contentsOf: cluster.nodes[2].logFile, encoding: .utf8)) ?? "").contains("TLS certificates not reloaded")
            }
            #expect(try await tls.certificates.presentedSubject(port: cluster.nodes[2].clientPort, client: tls.client)?
                .contains("CN = n3") == true)
            #expect(try await cluster.etcdctlOK(["get", "w"], endpoints: cluster.endpoint(2)) == "w\n3\n")
        }
    }
}
}
