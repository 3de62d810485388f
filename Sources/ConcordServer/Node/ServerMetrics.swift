import Metrics
import Prometheus
import Synchronization

/// The metrics of one node, kept in the node's own Prometheus registry (so
/// several nodes in one process each expose their own) and recorded through
/// swift-metrics' API.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// The current Raft term.
    let term: Metrics.Gauge
    /// 1 while a leader is known, else 0.
    let hasLeader: Metrics.Gauge
    /// 1 while this node leads, else 0.
    let isLeader: Metrics.Gauge
    /// Leader changes seen.
    let leaderChanges: Metrics.Counter
    /// Proposals of this node's clients that committed and were answered.
    let proposalsCommitted: Metrics.Counter
    /// Proposals of this node's clients that failed (refused, timed out).
    let proposalsFailed: Metrics.Counter
    /// Entries applied to the store.
    let entriesApplied: Metrics.Counter
    /// Committed entries not yet applied.
    let applyLag: Metrics.Gauge
    /// How long each durable write (WAL append plus fsync, snapshot, hard state) took.
    let fsyncDuration: Metrics.Timer
    /// Snapshots taken.
    let snapshotsTaken: Metrics.Counter
    /// Snapshots installed from the leader.
    let snapshotsInstalled: Metrics.Counter
    /// Raft messages dropped because they could not be decoded.
    let badPeerMessages: Metrics.Counter
    /// Client connections closed on arrival because `--max-client-connections`
    /// were open.
    let clientConnectionsRefused: Metrics.Counter
    /// ZooKeeper connections open.
    let zooKeeperConnections: Metrics.Gauge
    /// ZooKeeper connections closed on arrival because
    /// `--max-client-connections` of them were open.
    let zooKeeperConnectionsRefused: Metrics.Counter
    /// Bytes read from ZooKeeper clients.
    let zooKeeperBytesReceived: Metrics.Counter
    /// Bytes queued for ZooKeeper clients.
    let zooKeeperBytesSent: Metrics.Counter
    /// The process's resident set size (the name Prometheus clients use),
    /// read at each scrape.
    let residentMemory: Metrics.Gauge
    /// The process's open file descriptors, read at each scrape.
    let openDescriptors: Metrics.Gauge
    /// Bytes the C allocator has handed out and not had back, at each scrape.
    let allocatorInUse: Metrics.Gauge
    /// Bytes the C allocator holds from the system, in use or not: the gap
    /// to `allocatorInUse` is memory freed but kept.
    let allocatorHeld: Metrics.Gauge

    /// The per-method request metrics made so far. Making a metric looks it
    /// up in the registry by label and dimensions; doing that for every
    /// call showed up in profiles, so each is made once.
    private struct RequestMetrics {
        var counters: [RequestKey: Metrics.Counter] = [:]
        var timers: [String: Metrics.Timer] = [:]
    }

    private struct RequestKey: Hashable {
        var method: String
        var code: String
    }

    private let requestMetrics = Mutex(RequestMetrics())

    /// Creates the metrics in a fresh registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(4), .milliseconds(8), .milliseconds(16), .milliseconds(32), .milliseconds(64),
            .milliseconds(128), .milliseconds(256), .milliseconds(512), .seconds(1), .seconds(2), .seconds(5),
        ]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        self.registry = registry
        self.factory = factory
        term = Metrics.Gauge(label: "concord_server_term", factory: factory)
        hasLeader = Metrics.Gauge(label: "concord_server_has_leader", factory: factory)
        isLeader = Metrics.Gauge(label: "concord_server_is_leader", factory: factory)
        leaderChanges = Metrics.Counter(label: "concord_server_leader_changes_seen_total", factory: factory)
        proposalsCommitted = Metrics.Counter(label: "concord_server_proposals_committed_total", factory: factory)
        proposalsFailed = Metrics.Counter(label: "concord_server_proposals_failed_total", factory: factory)
        entriesApplied = Metrics.Counter(label: "concord_server_entries_applied_total", factory: factory)
        applyLag = Metrics.Gauge(label: "concord_server_apply_lag_entries", factory: factory)
        fsyncDuration = Metrics.Timer(label: "concord_disk_wal_fsync_duration_seconds", factory: factory)
        snapshotsTaken = Metrics.Counter(label: "concord_server_snapshots_taken_total", factory: factory)
        snapshotsInstalled = Metrics.Counter(label: "concord_server_snapshots_installed_total", factory: factory)
        badPeerMessages = Metrics.Counter(label: "concord_server_bad_peer_messages_total", factory: factory)
        clientConnectionsRefused = Metrics.Counter(label: "concord_server_client_connections_refused_total", factory: factory)
        zooKeeperConnections = Metrics.Gauge(label: "concord_zookeeper_connections", factory: factory)
        zooKeeperConnectionsRefused = Metrics.Counter(label: "concord_zookeeper_connections_refused_total", factory: factory)
        zooKeeperBytesReceived = Metrics.Counter(label: "concord_zookeeper_received_bytes_total", factory: factory)
        zooKeeperBytesSent = Metrics.Counter(label: "concord_zookeeper_sent_bytes_total", factory: factory)
        residentMemory = Metrics.Gauge(label: "process_resident_memory_bytes", factory: factory)
        openDescriptors = Metrics.Gauge(label: "process_open_fds", factory: factory)
        allocatorInUse = Metrics.Gauge(label: "concord_malloc_in_use_bytes", factory: factory)
        allocatorHeld = Metrics.Gauge(label: "concord_malloc_held_bytes", factory: factory)
    }

    /// Counts one gRPC call of `method` that ended with status `code`.
    func recordRequest(method: String, code: String, duration: Duration) {
        let factory = self.factory
        let (counter, timer) = requestMetrics.withLock { made in
            let key = RequestKey(method: method, code: code)
            let counter =
                made.counters[key]
                ?? Metrics.Counter(label: "concord_grpc_requests_total", dimensions: [("method", method), ("code", code)], factory: factory)
            made.counters[key] = counter
            let timer =
                made.timers[method]
                ?? Metrics.Timer(label: "concord_grpc_request_duration_seconds", dimensions: [("method", method)], factory: factory)
            made.timers[method] = timer
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        if let resident = MemoryAllocator.residentBytes() { residentMemory.record(resident) }
        if let open = MemoryAllocator.openDescriptors() { openDescriptors.record(open) }
        let allocator = MemoryAllocator.statistics()
        allocatorInUse.record(allocator.inUseBytes)
        allocatorHeld.record(allocator.heldBytes)
        return registry.emitToBuffer()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
