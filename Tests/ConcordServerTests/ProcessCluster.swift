import ConcordServerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Errors of the multi-process test harness.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

/// Finds a free TCP port on loopback by binding port 0 and reading the port
/// the kernel chose.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw HarnessError(description: "bind() failed") }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The `concord` executable built beside the test bundle.
func concordBinary() throws -> URL {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("concord"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("concord"),
        Bundle.main.bundleURL.appendingPathComponent("concord"),
    ]
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    throw HarnessError(description: "cannot find the concord binary near \(CommandLine.arguments[0]); run swift build --build-tests first")
}

/// The result of running a command to completion.
struct CommandResult {
    var status: Int32
    var output: String
    var error: String
}

/// Runs `executable` with `arguments`, feeding `input` on stdin, and waits
/// at most `timeoutSeconds` for it to finish.
func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
    timeoutSeconds: Double = 20
) async throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-cmd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    let inputPipe = Pipe()
    process.standardInput = inputPipe
    try process.run()
    if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inputPipe.fileHandleForWriting.close()
    let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            throw HarnessError(description: "\(executable) \(arguments) did not finish within \(timeoutSeconds) s")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    try outHandle.close()
    try errHandle.close()
    return CommandResult(
        status: process.terminationStatus,
        output: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        error: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Waits until `condition` returns true, checking every 50 ms, or throws
/// after `seconds`.
func waitUntil(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while true {
        if (try? await condition()) == true { return }
        if ContinuousClock.now > deadline { throw HarnessError(description: "timed out after \(seconds) s waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A cluster of `concord server` processes on loopback with data in a
/// temporary directory, removed by `shutdown()`.
final class ProcessCluster: @unchecked Sendable {
    struct Node {
        var name: String
        var clientPort: Int
        var peerPort: Int
        var metricsPort: Int
        /// Where the node serves Redis clients, when the cluster has them.
        var redisPort: Int?
        /// Where the node serves ZooKeeper clients, when the cluster has them.
        var zooKeeperPort: Int?
        var dataDirectory: URL
        var logFile: URL
        var process: Process?
        /// For a member added to the running cluster: the `--initial-cluster`
        /// it starts with (it then starts with `--initial-cluster-state existing`).
        var joinCluster: String?
        /// With TLS: the certificate the node presents to clients and peers,
        /// and the CA file it trusts (the cluster's unless a test says otherwise).
        var certificate: TestCertificates.Pair?
        var trustedAuthority: String?
    }

    /// With TLS: the certificates, and the one etcdctl presents.
    struct TLS {
        var certificates: TestCertificates
        var client: TestCertificates.Pair
    }

    let root: URL
    private(set) var nodes: [Node]
    let extraArguments: [String]
    /// The replication engine every node runs (`--consensus`, given only
    /// for Multi-Paxos, so Raft clusters also check the default).
    var consensus: ConsensusEngineKind
    /// Set for a cluster whose client and peer URLs are https, with mutual
    /// TLS on both (metrics stay plaintext, for the harness).
    let tls: TLS?
    private let binary: URL

    /// Creates (without starting) a cluster of `size` nodes; with `redis`
    /// (`zooKeeper`), each node also serves Redis (ZooKeeper) clients on a
    /// port of its own.
    init(
        size: Int = 3, extraArguments: [String] = [], tls: TLS? = nil, consensus: ConsensusEngineKind = .raft, redis: Bool = false,
        zooKeeper: Bool = false
    ) throws {
        self.tls = tls
        self.consensus = consensus
        binary = try concordBinary()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("concord-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.root = root
        var used = Set<Int>()
        func port() throws -> Int {
            while true {
                let candidate = try freePort()
                if used.insert(candidate).inserted { return candidate }
            }
        }
        nodes = try (1...size).map { index in
            Node(
                name: "n\(index)", clientPort: try port(), peerPort: try port(), metricsPort: try port(),
                redisPort: redis ? try port() : nil, zooKeeperPort: zooKeeper ? try port() : nil,
                dataDirectory: root.appendingPathComponent("n\(index)"), logFile: root.appendingPathComponent("n\(index).log"))
        }
        self.extraArguments = extraArguments
    }

    /// `https` for a TLS cluster, else `http`.
    var scheme: String { tls == nil ? "http" : "https" }

    /// The founding members, as `--initial-cluster` names them.
    var initialCluster: String {
        nodes.filter { $0.joinCluster == nil }.map { "\($0.name)=\(scheme)://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
    }

    /// Sets the certificate node `index` presents and the CA it trusts.
    func setCertificate(_ index: Int, _ pair: TestCertificates.Pair, trusting authority: String? = nil) {
        nodes[index].certificate = pair
        nodes[index].trustedAuthority = authority
    }

    /// Declares (without starting) one more node, to be added with
    /// `member add` and started with `start(_:)` after `setJoinCluster`;
    /// with `redis`, it serves Redis clients on a port of its own.
    /// - Returns: its index.
    func addNode(redis: Bool = false) throws -> Int {
        let used = Set(nodes.flatMap { [$0.clientPort, $0.peerPort, $0.metricsPort] + ($0.redisPort.map { [$0] } ?? []) })
        func port() throws -> Int {
            while true {
                let candidate = try freePort()
                if !used.contains(candidate) { return candidate }
            }
        }
        let index = nodes.count
        let name = "n\(index + 1)"
        nodes.append(
            Node(
                name: name, clientPort: try port(), peerPort: try port(), metricsPort: try port(),
                redisPort: redis ? try port() : nil,
                dataDirectory: root.appendingPathComponent(name), logFile: root.appendingPathComponent("\(name).log"),
                joinCluster: ""))
        return index
    }

    /// Sets the `--initial-cluster` that added node `index` starts with.
    func setJoinCluster(_ index: Int, _ initialCluster: String) { nodes[index].joinCluster = initialCluster }

    /// Every client endpoint, comma-separated, as etcdctl takes them.
    var endpoints: String { nodes.indices.map(endpoint).joined(separator: ",") }

    func endpoint(_ index: Int) -> String { "\(tls == nil ? "" : "https://")127.0.0.1:\(nodes[index].clientPort)" }

    /// etcdctl's TLS flags for this cluster (none without TLS).
    var etcdctlTLSArguments: [String] {
        guard let tls else { return [] }
        return ["--cacert=\(tls.certificates.authority)", "--cert=\(tls.client.certificate)", "--key=\(tls.client.key)"]
    }

    /// The command line that starts node `index`.
    func arguments(_ index: Int) -> [String] {
        let node = nodes[index]
        var arguments = [
            "server", "--name", node.name, "--data-dir", node.dataDirectory.path,
            "--listen-peer-urls", "\(scheme)://127.0.0.1:\(node.peerPort)",
            "--listen-client-urls", "\(scheme)://127.0.0.1:\(node.clientPort)",
            "--listen-metrics-urls", "http://127.0.0.1:\(node.metricsPort)",
            "--initial-cluster", node.joinCluster ?? initialCluster,
            "--initial-cluster-state", node.joinCluster == nil ? "new" : "existing",
        ]
        if let redisPort = node.redisPort {
            // With TLS the Redis port takes the client TLS settings too.
            arguments += ["--listen-redis-urls", "\(tls == nil ? "redis" : "rediss")://127.0.0.1:\(redisPort)"]
        }
        if let zooKeeperPort = node.zooKeeperPort {
            arguments += ["--listen-zookeeper-urls", "\(tls == nil ? "zk" : "zks")://127.0.0.1:\(zooKeeperPort)"]
        }
        if let tls {
            let pair = node.certificate ?? TestCertificates.Pair(
                certificate: tls.certificates.path("\(node.name).crt"), key: tls.certificates.path("\(node.name).key"))
            let authority = node.trustedAuthority ?? tls.certificates.authority
            arguments += [
                "--cert-file", pair.certificate, "--key-file", pair.key, "--trusted-ca-file", authority, "--client-cert-auth",
                "--peer-cert-file", pair.certificate, "--peer-key-file", pair.key, "--peer-trusted-ca-file", authority,
                "--peer-client-cert-auth",
            ]
        }
        if consensus != .raft { arguments += ["--consensus", consensus.rawValue] }
        return arguments + extraArguments
    }

    /// Starts node `index` (again, after a kill, on the same data directory).
    func start(_ index: Int) throws {
        let node = nodes[index]
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments(index)
        if !FileManager.default.fileExists(atPath: node.logFile.path) {
            _ = FileManager.default.createFile(atPath: node.logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: node.logFile)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nodes[index].process = process
    }

    func startAll() throws {
        for index in nodes.indices { try start(index) }
    }

    /// Moves node `index`'s listeners to other ports (before it starts).
    func setPorts(_ index: Int, client: Int? = nil, peer: Int? = nil, metrics: Int? = nil, redis: Int? = nil, zooKeeper: Int? = nil) {
        if let redis { nodes[index].redisPort = redis }
        if let zooKeeper { nodes[index].zooKeeperPort = zooKeeper }
        if let client { nodes[index].clientPort = client }
        if let peer { nodes[index].peerPort = peer }
        if let metrics { nodes[index].metricsPort = metrics }
    }

    /// Sends `signal` to node `index`.
    func signal(_ index: Int, _ signal: Int32) {
        guard let process = nodes[index].process else { return }
        kill(process.processIdentifier, signal)
    }

    /// Waits for node `index`'s process to exit, at most `seconds`.
    /// - Returns: Its exit status, and whether it ended by a signal.
    func waitForExit(_ index: Int, seconds: Double) async throws -> (status: Int32, bySignal: Bool) {
        guard let process = nodes[index].process else { throw HarnessError(description: "node \(index) was not started") }
        try await waitUntil("\(nodes[index].name) to exit", seconds: seconds) { !process.isRunning }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    /// Node `index`'s log so far.
    func log(_ index: Int) -> String { (try? String(contentsOf: nodes[index].logFile, encoding: .utf8)) ?? "" }

    /// Kills node `index` with SIGKILL and waits for it to die.
    func kill9(_ index: Int) {
        guard let process = nodes[index].process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        nodes[index].process = nil
    }

    /// True while node `index`'s process runs.
    func isRunning(_ index: Int) -> Bool { nodes[index].process?.isRunning ?? false }

    /// Fetches a metrics or health path from node `index`.
    func http(_ index: Int, _ path: String) async throws -> (Int, String) {
        let url = URL(string: "http://127.0.0.1:\(nodes[index].metricsPort)\(path)")!
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of an unlabelled metric on node `index`.
    func metric(_ index: Int, _ name: String) async throws -> Double? {
        let (_, text) = try await http(index, "/metrics")
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// The index of the node that says it leads, if exactly one running node
    /// does and every running node knows a leader.
    func leader() async -> Int? {
        var leaders: [Int] = []
        for index in nodes.indices where isRunning(index) {
            guard (try? await metric(index, "concord_server_has_leader")) == 1 else { return nil }
            if (try? await metric(index, "concord_server_is_leader")) == 1 { leaders.append(index) }
        }
        return leaders.count == 1 ? leaders[0] : nil
    }

    /// Waits until one running node leads and every running node reports healthy.
    @discardableResult
    func waitForLeader(seconds: Double) async throws -> Int {
        var found: Int?
        try await waitUntil("a leader", seconds: seconds) {
            found = await leader()
            return found != nil
        }
        return found!
    }

    /// Runs etcdctl (API v3) against `endpoints` (all nodes by default).
    func etcdctl(_ arguments: [String], endpoints: String? = nil, input: String? = nil) async throws -> CommandResult {
        try await runCommand(
            "/usr/bin/etcdctl",
            ["--endpoints=\(endpoints ?? self.endpoints)", "--dial-timeout=3s", "--command-timeout=8s"] + etcdctlTLSArguments + arguments,
            environment: ["ETCDCTL_API": "3"], input: input)
    }

    /// The logs of every node, for failure messages.
    func logs() -> String {
        nodes.map { node in
            let text = (try? String(contentsOf: node.logFile, encoding: .utf8)) ?? ""
            return "== \(node.name)\n" + text.split(separator: "\n").suffix(60).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Stops every node (SIGTERM, then SIGKILL after a deadline) and removes the data.
    func shutdown() async {
        for node in nodes { if let process = node.process, process.isRunning { process.terminate() } }
        let deadline = ContinuousClock.now + .seconds(10)
        for index in nodes.indices {
            guard let process = nodes[index].process else { continue }
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            nodes[index].process = nil
        }
        // A removal can race with files a dying node still closes: retry.
        for _ in 0..<20 where FileManager.default.fileExists(atPath: root.path) {
            try? FileManager.default.removeItem(at: root)
            if FileManager.default.fileExists(atPath: root.path) { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }
}


/// Every suite that starts `concord` processes nests here, so they run one
/// at a time (CPU on a two-core machine is the limit, not correctness).
@Suite(.serialized) struct ProcessClusterTests {}
