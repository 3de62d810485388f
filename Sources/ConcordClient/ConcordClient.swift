import ConcordEtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization

/// An async client for any etcd v3 endpoints (a Concord cluster or etcd).
///
/// The client keeps one HTTP/2 connection per endpoint and sends each request
/// to its preferred endpoint. When that endpoint is unreachable (gRPC
/// `unavailable`: connection refused, the member lost its leader), the
/// request is sent to the next endpoint in the list and that endpoint becomes
/// the preferred one: this is endpoint failover. A request that fails with any
/// other status is not retried; its error is thrown as
/// ``ConcordClientError/rpc(code:message:)`` with etcd's message.
///
/// A write retried on another endpoint after `unavailable` may have been
/// applied by the first one (the failure can come after the request left):
/// a plain put or delete is then applied twice with the same effect on the
/// value; guard writes that must happen once with a ``Txn`` comparison.
///
/// Call ``close()`` when done; it stops the connections.
public final class ConcordClient: Sendable {
    /// Configuration of a client.
    public struct Configuration: Sendable {
        /// How long one request may take before it fails with `deadlineExceeded`.
        public var requestTimeout: Duration = .seconds(5)
        /// The first delay before reconnecting to an endpoint.
        public var reconnectBackoffInitial: Duration = .milliseconds(50)
        /// The longest delay between reconnection attempts.
        public var reconnectBackoffMax: Duration = .milliseconds(500)

        /// The default configuration.
        public init() {}
    }

    struct Connection: Sendable {
        let endpoint: Endpoint
        let grpc: GRPCClient<HTTP2ClientTransport.Posix>
        let kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>
        let watch: Etcdserverpb_Watch.Client<HTTP2ClientTransport.Posix>
        let lease: Etcdserverpb_Lease.Client<HTTP2ClientTransport.Posix>
        let runner: Task<Void, Never>
    }

    /// The endpoints, in the order given.
    public let endpoints: [Endpoint]
    /// The configuration the client was made with.
    public let configuration: Configuration
    let connections: [Connection]
    private let preferred = Mutex(0)

    /// A client of `endpoints`, connecting lazily in the background.
    /// - Throws: ``ConcordClientError/invalidArgument(_:)`` for an empty list.
    public init(endpoints: [Endpoint], configuration: Configuration = .init()) throws {
        guard !endpoints.isEmpty else { throw ConcordClientError.invalidArgument("no endpoints given") }
        self.endpoints = endpoints
        self.configuration = configuration
        connections = try endpoints.map { endpoint in
            let transport = try HTTP2ClientTransport.Posix(
                target: endpoint.isIPv4Address
                    ? .ipv4(address: endpoint.host, port: endpoint.port) : .dns(host: endpoint.host, port: endpoint.port),
                transportSecurity: .plaintext,
                config: .defaults {
                    $0.backoff = .init(
                        initial: configuration.reconnectBackoffInitial, max: configuration.reconnectBackoffMax,
                        multiplier: 2, jitter: 0.2)
                })
            let grpc = GRPCClient(transport: transport)
            let runner = Task { do { try await grpc.runConnections() } catch {} }
            return Connection(
                endpoint: endpoint, grpc: grpc, kv: .init(wrapping: grpc), watch: .init(wrapping: grpc),
                lease: .init(wrapping: grpc), runner: runner)
        }
    }

    /// A client of endpoints written `host:port` (or `http://host:port`).
    public convenience init(endpoints: [String], configuration: Configuration = .init()) throws {
        try self.init(endpoints: endpoints.map { try Endpoint(parsing: $0) }, configuration: configuration)
    }

    /// Stops every connection. Requests in flight fail.
    public func close() {
        for connection in connections { connection.grpc.beginGracefulShutdown() }
    }

    /// The endpoint requests go to first.
    public var preferredEndpoint: Endpoint { endpoints[preferred.withLock { $0 }] }

    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = configuration.requestTimeout
        options.waitForReady = false
        return options
    }

    /// Whether a failure means "try another endpoint" rather than "etcd said no".
    static func isEndpointFailure(_ error: RPCError) -> Bool {
        error.code == .unavailable
    }

    /// Runs `body` against the preferred endpoint, then each other endpoint in
    /// turn while the failure is an endpoint failure.
    func withFailover<Result: Sendable>(
        _ body: (Connection) async throws -> Result
    ) async throws(ConcordClientError) -> Result {
        let start = preferred.withLock { $0 }
        var lastMessage = ""
        for attempt in 0..<connections.count {
            let index = (start + attempt) % connections.count
            do {
                let result = try await body(connections[index])
                if attempt > 0 { preferred.withLock { $0 = index } }
                return result
            } catch let error as RPCError where Self.isEndpointFailure(error) {
                lastMessage = "\(connections[index].endpoint): \(error.message)"
            } catch let error as RPCError {
                throw ConcordClientError(error)
            } catch let error as ConcordClientError {
                throw error
            } catch {
                throw .rpc(code: .unknown, message: "\(error)")
            }
        }
        throw .unavailable(endpoints: endpoints.map(\.description), message: lastMessage)
    }

    /// Marks the endpoint after `index` as preferred (used by streams that
    /// lost their connection).
    func rotate(from index: Int) -> Int {
        let next = (index + 1) % connections.count
        preferred.withLock { $0 = next }
        return next
    }

    var preferredIndex: Int { preferred.withLock { $0 } }
}
