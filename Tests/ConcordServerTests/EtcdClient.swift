import ConcordEtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// A gRPC client of one node's etcd KV service, for tests that need more
/// control than etcdctl gives (deadlines per call, malformed requests).
final class EtcdClient: Sendable {
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>
    private let runner: Task<Void, Never>

    init(port: Int) throws {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext,
            config: .defaults { $0.backoff = .init(initial: .milliseconds(50), max: .milliseconds(500), multiplier: 2, jitter: 0.2) })
        let client = GRPCClient(transport: transport)
        self.client = client
        kv = Etcdserverpb_KV.Client(wrapping: client)
        runner = Task { try? await client.runConnections() }
    }

    /// Calls wait for a connection (a node may be starting or restarting)
    /// until their deadline.
    static func options(seconds: Double) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = .milliseconds(Int64(seconds * 1000))
        options.waitForReady = true
        return options
    }

    func put(_ key: String, _ value: String, seconds: Double = 3) async throws -> Etcdserverpb_PutResponse {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value.utf8)
        return try await kv.put(request, options: Self.options(seconds: seconds))
    }

    /// The value of `key`, or nil when absent.
    func get(_ key: String, serializable: Bool = false, seconds: Double = 3) async throws -> String? {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        request.serializable = serializable
        let response = try await kv.range(request, options: Self.options(seconds: seconds))
        return response.kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// Every key under `prefix`, read locally on this node.
    func keys(prefix: String, serializable: Bool = true, seconds: Double = 3) async throws -> Set<String> {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(prefix.utf8)
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        request.rangeEnd = Data(end)
        request.keysOnly = true
        request.serializable = serializable
        let response = try await kv.range(request, options: Self.options(seconds: seconds))
        return Set(response.kvs.map { String(decoding: $0.key, as: UTF8.self) })
    }

    func close() {
        client.beginGracefulShutdown()
        runner.cancel()
    }
}
