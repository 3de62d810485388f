import Foundation
import Testing

/// The Redis port over TLS (`rediss://`), with the client TLS flags, driven
/// by Debian's redis-cli (`--tls`).
extension ProcessClusterTests {
@Suite struct RedisTLSProcessTests {
    @Test func redisCliSpeaksTLSWithAClientCertificateWhilePlaintextAndCertificatelessClientsAreRefusedAndCertificatesReload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-tls-\(UUID().uuidString)")
        let certificates = try await TestCertificates.make(in: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["n1", "n2", "n3"] { try await certificates.issue(name) }
        let client = try await certificates.issue("client")
        let tls = ProcessCluster.TLS(certificates: certificates, client: client)
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls, redis: true) { cluster in
            #expect(cluster.log(0).contains("serving redis clients on rediss://127.0.0.1:\(cluster.nodes[0].redisPort!)"))
            let port = try #require(cluster.nodes[0].redisPort)
            let withCertificate = ["--tls", "--cacert", certificates.authority, "--cert", client.certificate, "--key", client.key]
            try await waitUntil("PONG over TLS", seconds: 20) {
                try await redisCLI(port, withCertificate + ["ping"]) == "PONG"
            }
            #expect(try await redisCLI(port, withCertificate + ["set", "over-tls", "yes"]) == "OK")
            #expect(try await redisCLI(port, withCertificate + ["get", "over-tls"]) == "\"yes\"")

            let plaintext = try await runCommand("/usr/bin/redis-cli", ["-p", "\(port)", "ping"], timeoutSeconds: 20)
            #expect(plaintext.status != 0 && !plaintext.output.contains("PONG"), "\(plaintext)")
            let withoutCertificate = try await runCommand(
                "/usr/bin/redis-cli", ["-p", "\(port)", "--tls", "--cacert", certificates.authority, "ping"], timeoutSeconds: 20)
            #expect(withoutCertificate.status != 0 && !withoutCertificate.output.contains("PONG"), "\(withoutCertificate)")
            let foreign = try await certificates.issue("intruder", foreign: true)
            let foreignCertificate = try await runCommand(
                "/usr/bin/redis-cli",
                ["-p", "\(port)", "--tls", "--cacert", certificates.authority, "--cert", foreign.certificate, "--key", foreign.key, "ping"],
                timeoutSeconds: 20)
            #expect(foreignCertificate.status != 0 && !foreignCertificate.output.contains("PONG"), "\(foreignCertificate)")
            // The refusals changed nothing: the TLS client still gets in.
            #expect(try await redisCLI(port, withCertificate + ["ping"]) == "PONG")

            // The Redis port reloads with the client listener: a renewed
            // certificate is presented to the next connection.
            let before = try await certificates.presentedSubject(port: port, client: client)
            #expect(before?.contains("CN = n1") == true, "\(before ?? "no handshake")")
            try await certificates.issue("n1", commonName: "n1 renewed")
            try await waitUntil("the Redis port to present n1's renewed certificate", seconds: 10) {
                try await certificates.presentedSubject(port: port, client: client)?.contains("CN = n1 renewed") == true
            }
            #expect(try await redisCLI(port, withCertificate + ["get", "over-tls"]) == "\"yes\"")
        }
    }
}
}
