/// What one `concord bench` run measured, as it prints it with `--json` and
/// as ``BenchPage`` draws it: the settings, throughput, latency percentiles,
/// the latency histogram's buckets and the completions over time.
public struct BenchRun: Codable, Sendable, Hashable {
    /// One bucket of the latency histogram: `count` requests took more than
    /// the previous bucket's upper bound and at most `upperMilliseconds`.
    public struct LatencyBucket: Codable, Sendable, Hashable {
        /// The bucket's upper bound, in milliseconds.
        public var upperMilliseconds: Double
        /// How many requests fell in it.
        public var count: UInt64

        /// Creates a bucket.
        public init(upperMilliseconds: Double, count: UInt64) {
            self.upperMilliseconds = upperMilliseconds
            self.count = count
        }
    }

    /// Requests completed in consecutive intervals from the run's start.
    public struct Throughput: Codable, Sendable, Hashable {
        /// The length of each interval, in milliseconds.
        public var intervalMilliseconds: Int
        /// How many requests completed in each interval.
        public var completions: [UInt32]

        /// Creates a series.
        public init(intervalMilliseconds: Int, completions: [UInt32]) {
            precondition(intervalMilliseconds > 0, "an interval has a length")
            self.intervalMilliseconds = intervalMilliseconds
            self.completions = completions
        }
    }

    /// Which side was measured, for pages that compare (`etcd`, `concord`);
    /// empty when not given.
    public var label: String
    /// The command that reproduces the run.
    public var command: String
    /// The workload (`put`, `range`, ...).
    public var workload: String
    /// The endpoints loaded.
    public var endpoints: [String]
    /// Concurrent clients.
    public var clients: Int
    /// Connections the clients shared.
    public var connections: Int
    /// Requests asked for.
    public var total: Int
    /// Key size in bytes.
    public var keySize: Int
    /// Value size in bytes.
    public var valueSize: Int
    /// Distinct keys.
    public var keySpace: Int
    /// Requests that succeeded.
    public var succeeded: UInt64
    /// Requests that failed.
    public var errors: Int
    /// The first failure's message.
    public var firstError: String?
    /// The run's wall time, in seconds.
    public var seconds: Double
    /// Successful requests per second.
    public var requestsPerSecond: Double
    /// `mean`, `p50`, `p90`, `p99`, `p99.9` and `max`, in milliseconds.
    public var latencyMilliseconds: [String: Double]
    /// The latency histogram's non-empty buckets, in increasing order.
    public var latencyBuckets: [LatencyBucket]
    /// Completions over time.
    public var throughput: Throughput

    /// Creates a run record.
    public init(
        label: String, command: String, workload: String, endpoints: [String], clients: Int, connections: Int,
        total: Int, keySize: Int, valueSize: Int, keySpace: Int, succeeded: UInt64, errors: Int, firstError: String?,
        seconds: Double, requestsPerSecond: Double, latencyMilliseconds: [String: Double],
        latencyBuckets: [LatencyBucket], throughput: Throughput
    ) {
        self.label = label
        self.command = command
        self.workload = workload
        self.endpoints = endpoints
        self.clients = clients
        self.connections = connections
        self.total = total
        self.keySize = keySize
        self.valueSize = valueSize
        self.keySpace = keySpace
        self.succeeded = succeeded
        self.errors = errors
        self.firstError = firstError
        self.seconds = seconds
        self.requestsPerSecond = requestsPerSecond
        self.latencyMilliseconds = latencyMilliseconds
        self.latencyBuckets = latencyBuckets
        self.throughput = throughput
    }
}
