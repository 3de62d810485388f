import ConcordTransport
import Foundation
import Testing

/// The subject common name read from certificates made by the openssl
/// command, and clear errors, never a crash, for bytes that are not one.
@Suite struct CertificateSubjectTests {
    /// A self-signed P-256 certificate with subject `subject`, in DER.
    private static func certificate(subject: String, extraArguments: [String] = []) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-subject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("k.pem").path, pem = directory.appendingPathComponent("c.pem").path
        let der = directory.appendingPathComponent("c.der").path
        try openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", pem,
             "-days", "2", "-subj", subject] + extraArguments)
        try openssl(["x509", "-in", pem, "-outform", "DER", "-out", der])
        return Array(try Data(contentsOf: URL(fileURLWithPath: der)))
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSLoadError(path: arguments.joined(separator: " "), reason: "openssl failed") }
    }

    @Test func theCommonNameIsReadAmongOtherSubjectAttributes() throws {
        let der = try Self.certificate(subject: "/C=NL/O=Concord Test/OU=ops/CN=alice")
        #expect(try CertificateSubject.commonName(derEncoded: der) == "alice")
    }

    @Test func aUTF8CommonNameIsReadAsText() throws {
        let der = try Self.certificate(subject: "/CN=zoë", extraArguments: ["-utf8"])
        #expect(try CertificateSubject.commonName(derEncoded: der) == "zoë")
    }

    @Test func aSubjectWithoutACommonNameNamesNoUser() throws {
        let der = try Self.certificate(subject: "/O=Concord Test")
        #expect(try CertificateSubject.commonName(derEncoded: der) == nil)
    }

    @Test func aSubjectWithTwoCommonNamesIsRefused() throws {
        let der = try Self.certificate(subject: "/CN=alice/CN=root")
        #expect(throws: CertificateSubject.Failure.severalCommonNames(2)) { try CertificateSubject.commonName(derEncoded: der) }
    }

    @Test func emptyAndForeignBytesAreNotACertificate() {
        for bytes: [UInt8] in [[], [0x30], [0x30, 0x00], [0x02, 0x01, 0x05], Array("-----BEGIN CERTIFICATE-----".utf8)] {
            #expect(throws: CertificateSubject.Failure.self) { try CertificateSubject.commonName(derEncoded: bytes) }
        }
    }

    /// Every truncation of a real certificate is refused; a certificate
    /// with trailing bytes is refused (DER allows nothing after it).
    @Test func everyTruncationAndTrailingGarbageIsRefused() throws {
        let der = try Self.certificate(subject: "/CN=alice")
        for length in 0..<der.count {
            #expect(throws: CertificateSubject.Failure.self) { try CertificateSubject.commonName(derEncoded: Array(der[..<length])) }
        }
        #expect(throws: CertificateSubject.Failure.self) { try CertificateSubject.commonName(derEncoded: der + [0]) }
    }

    /// Bad input never crashes: each single byte of a real certificate
    /// replaced by every other value either is refused or still reads (a
    /// byte of the signature or the key, say), and a read common name is
    /// never one the subject did not hold but for the changed byte.
    @Test func everySingleByteChangeIsRefusedOrReadWithoutCrashing() throws {
        let der = try Self.certificate(subject: "/CN=alice")
        var refused = 0, read = 0
        for index in der.indices {
            for replacement in [UInt8(0x00), 0x7F, 0x80, 0xFF, der[index] ^ 0x01] where replacement != der[index] {
                var changed = der
                changed[index] = replacement
                do {
                    let name = try CertificateSubject.commonName(derEncoded: changed)
                    read += 1
                    if let name { #expect(name.count == 5, "byte \(index) -> \(replacement) read \(name)") }
                } catch {
                    refused += 1
                }
            }
        }
        #expect(refused > 0 && read > 0)
    }
}
