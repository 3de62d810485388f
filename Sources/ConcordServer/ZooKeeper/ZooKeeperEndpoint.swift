extension Endpoint {
    /// Parses a `--listen-zookeeper-urls` address: `zk://host:port`, or
    /// `host:port` as ZooKeeper's own connect strings spell it.
    /// - Throws: `ServerConfigurationError` for another scheme (TLS,
    ///   `zks://`, is not served yet), a missing port or a bad one.
    public static func parseZooKeeper(_ text: String) throws(ServerConfigurationError) -> Endpoint {
        let flag = "--listen-zookeeper-urls"
        if text.hasPrefix("zks://") {
            throw .invalid("\(flag): '\(text)': TLS for ZooKeeper clients is not supported yet; use zk://host:port")
        }
        let plain = text.hasPrefix("zk://") ? String(text.dropFirst("zk://".count)) : text
        guard !plain.contains("://") else { throw .invalid("\(flag): '\(text)' must be zk://host:port") }
        do {
            let endpoint = try Endpoint.parse(plain, flag: flag)
            return Endpoint(host: endpoint.host, port: endpoint.port)
        } catch {
            throw .invalid("\(flag): '\(text)' must be zk://host:port")
        }
    }
}
