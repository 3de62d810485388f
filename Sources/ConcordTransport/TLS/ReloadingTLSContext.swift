import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The TLS contexts built from one ``TLSFiles``, rebuilt when the files
/// change or on request (SIGHUP), without touching connections already
/// established: each new connection takes the contexts current when it
/// starts, and an open one keeps the context it was made with.
///
/// Two contexts come from the same files: a server context for the
/// connections a listener accepts, and a client context for the
/// connections a node dials (a peer presents the same certificate either
/// way, as etcd's peers do). When a reload fails (a file missing, half
/// written, a key that does not match its certificate) the previous
/// contexts stay in use and the failure is logged; the next check tries
/// again.
public final class ReloadingTLSContext: Sendable {
    /// The files the contexts are built from.
    public let files: TLSFiles
    private let logger: Logger
    private let state: Mutex<State>

    /// How often ``watchFiles()`` looks at the files' stamps, in milliseconds.
    public static let fileCheckIntervalMilliseconds = 1000

    /// Which context: the side of the handshake and the ALPN protocols offered.
    private struct Variant: Hashable {
        var server: Bool
        var applicationProtocols: [String]
    }

    private struct State {
        var material: Material
        var contexts: [Variant: NIOSSLContext]
        var stamps: [FileStamp?]
        var failedStamps: [FileStamp?]?
        var loads: Int
    }

    /// What the files held when last loaded.
    private struct Material: @unchecked Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var roots: NIOSSLTrustRoots
        var clientCertificateRequired: Bool
    }

    /// Loads the files now.
    /// - Parameters:
    ///   - files: Where the certificate, key and trusted authorities are.
    ///   - logger: Where reloads and their failures are logged.
    /// - Throws: ``TLSLoadError`` naming the file that cannot be used.
    public init(files: TLSFiles, logger: Logger) throws(TLSLoadError) {
        self.files = files
        self.logger = logger
        let stamps = files.paths.map { FileStamp(path: $0) }
        let (material, contexts) = try Self.load(files)
        state = Mutex(State(material: material, contexts: contexts, stamps: stamps, failedStamps: nil, loads: 1))
    }

    /// How many times the files have been loaded successfully (1 after init).
    public var loads: Int { state.withLock { $0.loads } }

    /// The current context for accepted connections offering
    /// `applicationProtocols` in ALPN (`["h2"]` for gRPC).
    public func serverContext(applicationProtocols: [String] = []) throws -> NIOSSLContext {
        try context(Variant(server: true, applicationProtocols: applicationProtocols))
    }

    /// The current context for connections this node dials.
    public func clientContext(applicationProtocols: [String] = []) throws -> NIOSSLContext {
        try context(Variant(server: false, applicationProtocols: applicationProtocols))
    }

    /// A handler that serves TLS on an accepted connection, with the
    /// current certificate.
    public func makeServerHandler(applicationProtocols: [String] = []) throws -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: try serverContext(applicationProtocols: applicationProtocols))
    }

    /// A handler that speaks TLS on a connection dialled to `host`, with the
    /// current certificate. The server's certificate must be signed by a
    /// trusted authority and name `host`: as a DNS name, or for an address,
    /// as an IP address in its subject alternative names.
    public func makeClientHandler(host: String, applicationProtocols: [String] = []) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(
            context: try clientContext(applicationProtocols: applicationProtocols), serverHostname: Self.isAddress(host) ? nil : host)
    }

    /// Rebuilds the contexts when any file's stamp changed since the last
    /// load (or the last failed attempt).
    /// - Returns: True when new contexts are in use.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let stamps = files.paths.map { FileStamp(path: $0) }
        let unchanged = state.withLock { $0.stamps == stamps || $0.failedStamps == stamps }
        if unchanged { return false }
        return reload(stamps: stamps, reason: "files changed")
    }

    /// Rebuilds the contexts from the files as they are now.
    /// - Returns: True when new contexts are in use.
    @discardableResult
    public func reload() -> Bool {
        reload(stamps: files.paths.map { FileStamp(path: $0) }, reason: "reload requested")
    }

    /// Checks the files every ``fileCheckIntervalMilliseconds`` and reloads
    /// them when they change, until the task is cancelled.
    public func watchFiles() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(Self.fileCheckIntervalMilliseconds))
            } catch {
                return
            }
            reloadIfChanged()
        }
    }

    private func context(_ variant: Variant) throws -> NIOSSLContext {
        try state.withLock { state in
            if let context = state.contexts[variant] { return context }
            let context = try NIOSSLContext(configuration: Self.configuration(state.material, variant))
            state.contexts[variant] = context
            return context
        }
    }

    private func reload(stamps: [FileStamp?], reason: String) -> Bool {
        do {
            let (material, contexts) = try Self.load(files)
            state.withLock { state in
                state.material = material
                state.contexts = contexts
                state.stamps = stamps
                state.failedStamps = nil
                state.loads += 1
            }
            logger.info("TLS certificates reloaded", metadata: ["cert-file": "\(files.certificateFile)", "reason": "\(reason)"])
            return true
        } catch {
            state.withLock { $0.failedStamps = stamps }
            logger.error(
                "TLS certificates not reloaded; the previous ones stay in use",
                metadata: ["error": "\(error)", "reason": "\(reason)"])
            return false
        }
    }

    /// Reads the files and builds the contexts without ALPN, which checks
    /// that the key fits the certificate.
    private static func load(_ files: TLSFiles) throws(TLSLoadError) -> (Material, [Variant: NIOSSLContext]) {
        let chain = try read(files.certificateFile) { try NIOSSLCertificate.fromPEMFile($0) }
        guard !chain.isEmpty else { throw TLSLoadError(path: files.certificateFile, reason: "no PEM certificate in the file") }
        let key = try read(files.keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) }
        let trusted = try files.trustedCAFile.map { path throws(TLSLoadError) in
            let authorities = try read(path) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !authorities.isEmpty else { throw TLSLoadError(path: path, reason: "no PEM certificate in the file") }
            return authorities
        }
        let material = Material(
            chain: chain, key: key, roots: trusted.map { .certificates($0) } ?? .default,
            clientCertificateRequired: files.clientCertificateRequired)
        var contexts: [Variant: NIOSSLContext] = [:]
        do {
            for variant in [Variant(server: true, applicationProtocols: []), Variant(server: false, applicationProtocols: [])] {
                contexts[variant] = try NIOSSLContext(configuration: configuration(material, variant))
            }
        } catch {
            throw TLSLoadError(
                path: files.keyFile, reason: "the key does not fit the certificate in \(files.certificateFile), or cannot be used: \(error)")
        }
        return (material, contexts)
    }

    private static func configuration(_ material: Material, _ variant: Variant) -> TLSConfiguration {
        var configuration: TLSConfiguration
        if variant.server {
            configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: material.chain.map { .certificate($0) }, privateKey: .privateKey(material.key))
            if material.clientCertificateRequired {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = material.roots
            } else {
                configuration.certificateVerification = .none
            }
        } else {
            configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateChain = material.chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(material.key)
            configuration.trustRoots = material.roots
            configuration.certificateVerification = .fullVerification
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = variant.applicationProtocols
        return configuration
    }

    private static func read<T>(_ path: String, _ read: (String) throws -> T) throws(TLSLoadError) -> T {
        guard FileStamp(path: path) != nil else { throw TLSLoadError(path: path, reason: "no such file, or not readable") }
        do {
            return try read(path)
        } catch {
            throw TLSLoadError(path: path, reason: "not a PEM file of the expected kind (\(error))")
        }
    }

    /// True for an IPv4 or IPv6 literal (which cannot be sent as SNI; the
    /// certificate is then checked against the connected address).
    static func isAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
