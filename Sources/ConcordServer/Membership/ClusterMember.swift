/// One member of a Concord cluster as the command line names it
/// (`--initial-cluster name=http://host:port,...`).
public struct ClusterMember: Sendable, Hashable {
    /// The member's name (`--name`).
    public var name: String
    /// Where the member listens for peers.
    public var peerHost: String
    /// The member's peer port.
    public var peerPort: Int
    /// True when the member's peer URL is https (peers speak TLS).
    public var peerUsesTLS: Bool

    /// Creates a member.
    public init(name: String, peerHost: String, peerPort: Int, peerUsesTLS: Bool = false) {
        self.name = name
        self.peerHost = peerHost
        self.peerPort = peerPort
        self.peerUsesTLS = peerUsesTLS
    }

    /// The member's id: the 64-bit FNV-1a hash of its name (never 0). Every
    /// member derives every id from the same `--initial-cluster`, so they
    /// agree without talking.
    public var id: UInt64 { Self.id(forName: name) }

    /// The id a member named `name` has.
    public static func id(forName name: String) -> UInt64 {
        let hash = fnv1a(Array(name.utf8))
        return hash == 0 ? 1 : hash
    }

    /// The id of a member added to a running cluster: the 64-bit FNV-1a
    /// hash of its peer URLs (each normalized to `http://host:port`,
    /// sorted, joined by commas), never 0. The leader derives it when the
    /// member is added and the member derives it again from its own entry
    /// in `--initial-cluster` when it starts with
    /// `--initial-cluster-state existing`, so both agree without talking.
    /// (etcd mixes in the cluster token and the time; Concord cannot, as the
    /// new member must find its id before it hears from the cluster.)
    public static func id(forPeerURLs peerURLs: [String]) -> UInt64 {
        let hash = fnv1a(Array(peerURLs.sorted().joined(separator: ",").utf8))
        return hash == 0 ? 1 : hash
    }

    /// The member's peer URL, `http://host:port` or `https://host:port`.
    public var peerURL: String { Endpoint(host: peerHost, port: peerPort, usesTLS: peerUsesTLS).description }

    /// The cluster id: the FNV-1a hash of the members' ids in ascending order.
    public static func clusterID(of members: [ClusterMember]) -> UInt64 {
        var bytes: [UInt8] = []
        for id in members.map(\.id).sorted() {
            withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) }
        }
        let hash = fnv1a(bytes)
        return hash == 0 ? 1 : hash
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Parses `name=http://host:port,name=http://host:port,...`.
    /// - Throws: `ServerConfigurationError` naming the bad part.
    public static func parseCluster(_ text: String) throws(ServerConfigurationError) -> [ClusterMember] {
        var members: [ClusterMember] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].isEmpty else {
                throw .invalid("--initial-cluster entry '\(part)' is not name=url")
            }
            let endpoint = try Endpoint.parse(String(pieces[1]), flag: "--initial-cluster")
            members.append(
                ClusterMember(name: String(pieces[0]), peerHost: endpoint.host, peerPort: endpoint.port, peerUsesTLS: endpoint.usesTLS))
        }
        guard !members.isEmpty else { throw .invalid("--initial-cluster names no member") }
        guard Set(members.map(\.name)).count == members.count else {
            throw .invalid("--initial-cluster names a member twice")
        }
        return members
    }
}

/// A host and port parsed from a URL such as `http://127.0.0.1:2379` or
/// `https://127.0.0.1:2379`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address.
    public var host: String
    /// The port.
    public var port: Int
    /// True for an https URL: the connection speaks TLS.
    public var usesTLS: Bool

    /// Creates an endpoint.
    public init(host: String, port: Int, usesTLS: Bool = false) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// `http://host:port` or `https://host:port`.
    public var description: String { "\(usesTLS ? "https" : "http")://\(host):\(port)" }

    /// Parses `http://host:port` or `https://host:port` (without a scheme,
    /// http).
    /// - Throws: `ServerConfigurationError` naming `flag`.
    public static func parse(_ text: String, flag: String) throws(ServerConfigurationError) -> Endpoint {
        var rest = Substring(text)
        var usesTLS = false
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst("https://".count)
            usesTLS = true
        } else if rest.contains("://") {
            throw .invalid("\(flag): '\(text)' must use http:// or https://")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":") else { throw .invalid("\(flag): '\(text)' has no port") }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalid("\(flag): '\(text)' is not http://host:port")
        }
        return Endpoint(host: host, port: port, usesTLS: usesTLS)
    }
}

/// A command-line or configuration mistake, with a message for the operator.
public enum ServerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)

    /// The message.
    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
