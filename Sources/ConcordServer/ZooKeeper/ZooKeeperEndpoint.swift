extension Endpoint {
    /// Parses a `--listen-zookeeper-urls` address: `zk://host:port`, or
    /// `host:port` as ZooKeeper's own connect strings spell it, or
    /// `zks://host:port` for TLS with the client listener's TLS flags.
    /// - Throws: `ServerConfigurationError` for another scheme, a missing
    ///   port or a bad one.
    public static func parseZooKeeper(_ text: String) throws(ServerConfigurationError) -> Endpoint {
        let flag = "--listen-zookeeper-urls"
        let usesTLS = text.hasPrefix("zks://")
        let plain =
            usesTLS
            ? String(text.dropFirst("zks://".count))
            : text.hasPrefix("zk://") ? String(text.dropFirst("zk://".count)) : text
        let expected = "must be zk://host:port or zks://host:port"
        guard !plain.contains("://") else { throw .invalid("\(flag): '\(text)' \(expected)") }
        do {
            let endpoint = try Endpoint.parse(plain, flag: flag)
            return Endpoint(host: endpoint.host, port: endpoint.port, usesTLS: usesTLS)
        } catch {
            throw .invalid("\(flag): '\(text)' \(expected)")
        }
    }

    /// The address as `--listen-zookeeper-urls` spells it.
    public var zooKeeperURL: String { "\(usesTLS ? "zks" : "zk")://\(host):\(port)" }
}
