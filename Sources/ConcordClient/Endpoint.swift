/// One etcd v3 gRPC endpoint: a host and a port, written `host:port` or
/// `http://host:port` as etcdctl accepts them.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or IPv4 address.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An endpoint at `host` and `port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, optionally prefixed by `http://`.
    /// - Throws: ``ConcordClientError/invalidArgument(_:)`` for anything else
    ///   (TLS endpoints are not supported).
    public init(parsing text: String) throws(ConcordClientError) {
        var rest = Substring(text)
        if rest.hasPrefix("https://") { throw .invalidArgument("TLS endpoints are not supported: \(text)") }
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port), colon > rest.startIndex
        else { throw .invalidArgument("endpoint must be host:port, got \(text)") }
        self.init(host: String(rest[..<colon]), port: port)
    }

    /// Whether ``host`` is a dotted IPv4 address rather than a name to resolve.
    var isIPv4Address: Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in UInt8(part) != nil }
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }
}
