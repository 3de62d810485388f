/// The TLS settings of one kind of connection (clients, or peers), as
/// etcd's flags name them: `--cert-file`, `--key-file`,
/// `--trusted-ca-file` and `--client-cert-auth` for clients, the same with
/// `--peer-` for peers.
///
/// One value serves any listener: the client (gRPC) listener, the metrics
/// listener, the peer transport, and later the ZooKeeper and Redis ports
/// take the same settings and build their handlers through
/// ``ReloadingTLSContext``.
public struct TLSFiles: Sendable, Hashable {
    /// The PEM file holding this node's certificate (and any intermediate
    /// certificates after it), presented to whoever connects, and to the
    /// peers this node dials.
    public var certificateFile: String
    /// The PEM file holding the certificate's private key.
    public var keyFile: String
    /// The PEM file of the certificate authorities trusted to sign the
    /// other side's certificate; nil for the system's roots.
    public var trustedCAFile: String?
    /// When true a connecting client must present a certificate that a
    /// trusted authority signed, or the handshake fails (etcd's
    /// `--client-cert-auth`, `--peer-client-cert-auth`).
    public var clientCertificateRequired: Bool

    /// Creates the settings.
    public init(certificateFile: String, keyFile: String, trustedCAFile: String? = nil, clientCertificateRequired: Bool = false) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.trustedCAFile = trustedCAFile
        self.clientCertificateRequired = clientCertificateRequired
    }

    /// The files read, in the order they are checked for changes.
    var paths: [String] { [certificateFile, keyFile] + (trustedCAFile.map { [$0] } ?? []) }
}
