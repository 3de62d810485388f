import NIOSSL
import X509

/// The subject common name of a client's certificate, which etcd takes as
/// the client's user name when `--client-cert-auth` is on and the client
/// sent no token.
///
/// swift-nio-ssl hands over the peer's certificate but keeps its own
/// common-name reader internal; swift-certificates (`X509`, already in the
/// build for gRPC's transport) parses the DER strictly and is used here.
public enum CertificateSubject {
    /// Why a certificate yields no user name.
    public enum Failure: Error, Hashable, CustomStringConvertible {
        /// The bytes are not a DER X.509 certificate.
        case notACertificate(String)
        /// The subject has more than one common name: which is the user is
        /// ambiguous, so none is.
        case severalCommonNames(Int)
        /// The common name is not a string type that reads as text.
        case unreadableCommonName

        public var description: String {
            switch self {
            case .notACertificate(let reason): "not a DER X.509 certificate: \(reason)"
            case .severalCommonNames(let count): "the certificate's subject has \(count) common names"
            case .unreadableCommonName: "the certificate's subject common name is not text"
            }
        }
    }

    /// The subject's common name (the attribute 2.5.4.3) of the
    /// DER-encoded certificate `der`, or nil when the subject has none.
    /// - Throws: ``Failure`` for bytes that are not a certificate, a
    ///   subject with several common names, or one that is not text.
    public static func commonName(derEncoded der: [UInt8]) throws(Failure) -> String? {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .notACertificate("\(error)")
        }
        let names = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }
        guard names.count <= 1 else { throw .severalCommonNames(names.count) }
        guard let name = names.first else { return nil }
        guard let text = String(name.value) else { throw .unreadableCommonName }
        return text
    }

    /// The common name of `certificate`, as ``commonName(derEncoded:)``.
    public static func commonName(of certificate: NIOSSLCertificate) throws(Failure) -> String? {
        let der: [UInt8]
        do {
            der = try certificate.toDERBytes()
        } catch {
            throw .notACertificate("\(error)")
        }
        return try commonName(derEncoded: der)
    }
}
