import ConcordServer
import Testing

/// URL schemes and TLS settings must agree, and say so as etcd does.
@Suite struct TLSConfigurationTests {
    private func configuration(client: String, peer: String, metrics: String? = nil, cluster: String) throws -> NodeConfiguration {
        NodeConfiguration(
            name: "n1", dataDirectory: "/tmp/unused", peerListen: try Endpoint.parse(peer, flag: "--listen-peer-urls"),
            clientListen: try Endpoint.parse(client, flag: "--listen-client-urls"),
            metricsListen: try metrics.map { try Endpoint.parse($0, flag: "--listen-metrics-urls") },
            members: try ClusterMember.parseCluster(cluster))
    }

    @Test func httpsURLsParseAndPrintWithTheirScheme() throws {
        let endpoint = try Endpoint.parse("https://127.0.0.1:2379/", flag: "--listen-client-urls")
        #expect(endpoint == Endpoint(host: "127.0.0.1", port: 2379, usesTLS: true))
        #expect(endpoint.description == "https://127.0.0.1:2379")
        #expect(try Endpoint.parse("127.0.0.1:2379", flag: "x").usesTLS == false)
        #expect(throws: ServerConfigurationError.invalid("x: 'unix://socket:1' must use http:// or https://")) {
            try Endpoint.parse("unix://socket:1", flag: "x")
        }
        let members = try ClusterMember.parseCluster("n1=https://10.0.0.1:2380,n2=http://10.0.0.2:2380")
        #expect(members.map(\.peerURL) == ["https://10.0.0.1:2380", "http://10.0.0.2:2380"])
        // The id a joining member derives from its URL keeps http's value.
        #expect(ClusterMember.id(forPeerURLs: [members[1].peerURL]) == ClusterMember.id(forPeerURLs: ["http://10.0.0.2:2380"]))
        #expect(ClusterMember.id(forPeerURLs: [members[0].peerURL]) != ClusterMember.id(forPeerURLs: ["http://10.0.0.1:2380"]))
    }

    @Test func httpsURLsWithoutCertificatesAndMixedPeerSchemesAreRefused() throws {
        let plain = try configuration(client: "http://127.0.0.1:2379", peer: "http://127.0.0.1:2380", cluster: "n1=http://127.0.0.1:2380")
        #expect(plain.problems.isEmpty)
        let secure = try configuration(
            client: "https://127.0.0.1:2379", peer: "https://127.0.0.1:2380", metrics: "https://127.0.0.1:2381",
            cluster: "n1=https://127.0.0.1:2380,n2=http://127.0.0.1:2480")
        #expect(secure.problems == [
            "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme",
            "TLS key/cert (--cert-file, --key-file) must be provided for metrics url https://127.0.0.1:2381 with HTTPS scheme",
            "TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url https://127.0.0.1:2380 with HTTPS scheme",
            "--initial-cluster: member n2's peer URL http://127.0.0.1:2480 must use https:// as --listen-peer-urls does"
                + " (peers speak TLS to every member or to none)",
        ])
    }

    @Test func aRedissURLNeedsTheClientCertificateAndKey() throws {
        var configuration = try configuration(client: "http://127.0.0.1:2379", peer: "http://127.0.0.1:2380", cluster: "n1=http://127.0.0.1:2380")
        configuration.redisListen = Endpoint(host: "127.0.0.1", port: 6380, usesTLS: true)
        #expect(configuration.problems == ["TLS key/cert (--cert-file, --key-file) must be provided for redis url rediss://127.0.0.1:6380"])
        configuration.redisListen = Endpoint(host: "127.0.0.1", port: 6380)
        #expect(configuration.problems.isEmpty)
    }
}
