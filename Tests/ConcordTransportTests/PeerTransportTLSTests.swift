import ConcordTransport
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

/// Peer links over mutual TLS, with certificates made by the openssl
/// command: frames flow between members of one CA, a member of another CA
/// is refused both ways, and reloads keep open links.
@Suite struct PeerTransportTLSTests {
    /// A temporary directory of certificates: `NAME.crt` and `NAME.key`
    /// signed by `ca` or by `foreign`.
    final class Certificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-peer-tls-\(UUID().uuidString)")

        init() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for authority in ["ca", "foreign"] {
                try openssl(
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", path("\(authority).key"), "-out", path("\(authority).crt"), "-days", "2", "-subj", "/CN=\(authority)")
            }
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        /// Issues `name`, signed by `authority`, valid for 127.0.0.1.
        func issue(_ name: String, by authority: String = "ca") throws {
            try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"
                .write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try openssl(
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(name)")
            try openssl(
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(authority).crt"), "-CAkey", path("\(authority).key"),
                "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-extfile", path("\(name).ext"),
                "-out", path("\(name).crt"))
        }

        /// Mutual TLS settings for member `name`, trusting the cluster CA.
        func files(_ name: String) -> TLSFiles {
            TLSFiles(certificateFile: path("\(name).crt"), keyFile: path("\(name).key"), trustedCAFile: path("ca.crt"), clientCertificateRequired: true)
        }

        private func openssl(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TLSLoadError(path: arguments.joined(separator: " "), reason: "openssl failed") }
        }
    }

    @Test func membersOfOneCAExchangeFramesOverMutualTLS() async throws {
        let certificates = try Certificates()
        try certificates.issue("a")
        try certificates.issue("b")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inboxA = Inbox(), inboxB = Inbox()
        let tlsA = try ReloadingTLSContext(files: certificates.files("a"), logger: makeLogger())
        let tlsB = try ReloadingTLSContext(files: certificates.files("b"), logger: makeLogger())
        let a = PeerTransport(localID: 1, tls: tlsA, group: group, logger: makeLogger(), receiver: inboxA.receive)
        let b = PeerTransport(localID: 2, tls: tlsB, group: group, logger: makeLogger(), receiver: inboxB.receive)
        let portA = try await a.listen(host: "127.0.0.1", port: 0)
        let portB = try await b.listen(host: "127.0.0.1", port: 0)
        a.setPeer(2, host: "127.0.0.1", port: portB)
        b.setPeer(1, host: "127.0.0.1", port: portA)
        for i in 0..<100 { try a.send(to: 2, [UInt8(i)]) }
        try b.send(to: 1, Array("pong".utf8))
        try await inboxB.wait("100 frames at b") { $0.count == 100 }
        try await inboxA.wait("pong at a") { $0.count == 1 }
        #expect(inboxB.all.map { Int($0.1[0]) } == Array(0..<100))

        // A reload (new certificate for a) keeps the open link: frames
        // still arrive, and the count of loads moved.
        try certificates.issue("a")
        #expect(tlsA.reloadIfChanged())
        #expect(!tlsA.reloadIfChanged())
        #expect(tlsA.loads == 2)
        try a.send(to: 2, [200])
        try await inboxB.wait("a frame after the reload") { $0.count == 101 }
        await a.shutdown()
        await b.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func aMemberWhoseCertificateAnotherCASignedIsRefusedBothWays() async throws {
        let certificates = try Certificates()
        try certificates.issue("a")
        try certificates.issue("intruder", by: "foreign")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inboxA = Inbox(), inboxIntruder = Inbox()
        let a = PeerTransport(
            localID: 1, tls: try ReloadingTLSContext(files: certificates.files("a"), logger: makeLogger()), group: group,
            logger: makeLogger(), receiver: inboxA.receive)
        let intruder = PeerTransport(
            localID: 9, tls: try ReloadingTLSContext(files: certificates.files("intruder"), logger: makeLogger()), group: group,
            logger: makeLogger(), receiver: inboxIntruder.receive)
        // A plaintext member is refused as well.
        let plaintext = PeerTransport(localID: 8, group: group, logger: makeLogger(), receiver: { _, _ in })
        let portA = try await a.listen(host: "127.0.0.1", port: 0)
        let portIntruder = try await intruder.listen(host: "127.0.0.1", port: 0)
        // The control: a member of the cluster CA reaches a.
        try certificates.issue("b")
        let inboxProbe = Inbox()
        let b = PeerTransport(
            localID: 2, tls: try ReloadingTLSContext(files: certificates.files("b"), logger: makeLogger()), group: group,
            logger: makeLogger(), receiver: inboxProbe.receive)
        b.setPeer(1, host: "127.0.0.1", port: portA)
        intruder.setPeer(1, host: "127.0.0.1", port: portA)
        plaintext.setPeer(1, host: "127.0.0.1", port: portA)
        a.setPeer(9, host: "127.0.0.1", port: portIntruder)
        for _ in 0..<20 {
            try intruder.send(to: 1, Array("let me in".utf8))
            try plaintext.send(to: 1, Array("me too".utf8))
            try a.send(to: 9, Array("secret".utf8))
            try await Task.sleep(for: .milliseconds(25))
        }
        try b.send(to: 1, Array("member".utf8))
        try await inboxA.wait("the member's frame at a") { $0.contains { $0.0 == 2 } }
        #expect(inboxA.all.allSatisfy { $0.0 == 2 })
        #expect(inboxIntruder.all.isEmpty)
        for transport in [a, b, intruder, plaintext] { await transport.shutdown() }
        try await group.shutdownGracefully()
    }

    @Test func unusableFilesAreRefusedWithTheFileNamedAndAFailedReloadKeepsTheOldCertificate() throws {
        let certificates = try Certificates()
        try certificates.issue("a")
        try certificates.issue("b")
        #expect(throws: TLSLoadError.self) {
            try ReloadingTLSContext(files: TLSFiles(certificateFile: certificates.path("missing.crt"), keyFile: certificates.path("a.key")), logger: makeLogger())
        }
        do {
            _ = try ReloadingTLSContext(files: TLSFiles(certificateFile: certificates.path("a.crt"), keyFile: certificates.path("b.key")), logger: makeLogger())
            Issue.record("a key that does not fit its certificate was accepted")
        } catch {
            #expect(error.path == certificates.path("b.key"), "\(error)")
        }
        let context = try ReloadingTLSContext(files: certificates.files("a"), logger: makeLogger())
        try "not a key".write(toFile: certificates.path("a.key"), atomically: true, encoding: .utf8)
        #expect(!context.reloadIfChanged())
        #expect(!context.reload())
        #expect(context.loads == 1)
        _ = try context.makeServerHandler()
    }
}
