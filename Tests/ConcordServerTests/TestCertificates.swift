import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Certificates made with the openssl command for TLS tests: a cluster CA,
/// and a foreign CA that the cluster does not trust, each issuing
/// certificates (P-256 keys) valid for 127.0.0.1 and localhost as servers
/// and as clients.
struct TestCertificates: Sendable {
    /// A certificate and its key.
    struct Pair: Sendable {
        var certificate: String
        var key: String
    }

    let directory: URL
    /// The cluster's CA certificate.
    var authority: String { path("ca.crt") }
    /// The foreign CA's certificate.
    var foreignAuthority: String { path("foreign.crt") }

    /// Makes both authorities in `directory` (created if absent).
    static func make(in directory: URL) async throws -> TestCertificates {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        for name in ["ca", "foreign"] {
            try await certificates.openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", certificates.path("\(name).key"), "-out", certificates.path("\(name).crt"),
                "-days", "2", "-subj", "/CN=concord test \(name)",
            ])
        }
        return certificates
    }

    /// Issues (or issues again, replacing the files) `name.crt` and
    /// `name.key`, signed by the cluster CA or the foreign one.
    @discardableResult
    func issue(_ name: String, commonName: String? = nil, foreign: Bool = false) async throws -> Pair {
        let pair = Pair(certificate: path("\(name).crt"), key: path("\(name).key"))
        let request = path("\(name).csr"), extensions = path("\(name).ext")
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        // Written beside the final files and renamed over them, as an
        // operator's tooling would replace certificates.
        let newKey = path("\(name).key.new"), newCertificate = path("\(name).crt.new")
        try await openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", newKey, "-out", request, "-subj", "/CN=\(commonName ?? name)",
        ])
        let authority = foreign ? "foreign" : "ca"
        try await openssl([
            "x509", "-req", "-in", request, "-CA", path("\(authority).crt"), "-CAkey", path("\(authority).key"),
            "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-extfile", extensions, "-out", newCertificate,
        ])
        guard rename(newKey, pair.key) == 0, rename(newCertificate, pair.certificate) == 0 else {
            throw HarnessError(description: "cannot rename the new certificate of \(name) into place")
        }
        return pair
    }

    /// The subject of the certificate a TLS server on `port` presents, as
    /// `openssl s_client` prints it, or nil when the handshake fails.
    func presentedSubject(port: Int, client: Pair) async throws -> String? {
        let result = try await runCommand(
            "/usr/bin/openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", authority, "-cert", client.certificate, "-key", client.key,
                "-verify_return_error", "-brief",
            ], input: "")
        guard result.status == 0 else { return nil }
        return (result.output + result.error).split(separator: "\n").first { $0.contains("Peer certificate:") }.map(String.init)
    }

    /// Whether a TLS 1.2 handshake with `port` presenting `client`
    /// succeeds (in TLS 1.2 a refused client certificate fails the
    /// handshake itself rather than the first read after it).
    func handshakeSucceeds(port: Int, client: Pair) async throws -> Bool {
        let result = try await runCommand(
            "/usr/bin/openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", authority, "-cert", client.certificate, "-key", client.key,
                "-verify_return_error", "-brief", "-tls1_2",
            ], input: "")
        return result.status == 0
    }

    func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await runCommand("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw HarnessError(description: "openssl \(arguments.joined(separator: " ")) failed: \(result.error)")
        }
    }
}
