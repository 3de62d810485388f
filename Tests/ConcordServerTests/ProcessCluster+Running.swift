import ConcordServerCore
import Testing

extension ProcessCluster {
    /// Starts a cluster of `size` processes, waits for a leader, runs `body`,
    /// and shuts the cluster down; a failure is recorded with every node's log.
    static func withRunningCluster(
        size: Int, extraArguments: [String] = [], tls: TLS? = nil, consensus: ConsensusEngineKind = .raft, redis: Bool = false,
        zooKeeper: Bool = false, _ body: (ProcessCluster) async throws -> Void
    ) async throws {
        let cluster = try ProcessCluster(
            size: size, extraArguments: extraArguments, tls: tls, consensus: consensus, redis: redis, zooKeeper: zooKeeper)
        try cluster.startAll()
        do {
            try await cluster.waitForLeader(seconds: 20)
            try await body(cluster)
        } catch {
            let logs = cluster.logs()
            await cluster.shutdown()
            Issue.record("\(error)\n\(logs)")
            return
        }
        await cluster.shutdown()
    }

    /// Runs etcdctl and returns its output, throwing when it exits non-zero.
    func etcdctlOK(_ arguments: [String], input: String? = nil, endpoints: String? = nil) async throws -> String {
        let result = try await etcdctl(arguments, endpoints: endpoints, input: input)
        guard result.status == 0 else {
            throw HarnessError(description: "etcdctl \(arguments) failed (\(result.status)): \(result.error)")
        }
        return result.output
    }

    /// The hex lease ID in etcdctl's "lease <id> granted with TTL(<n>s)".
    static func grantedLeaseID(_ output: String) throws -> String {
        let words = output.split(separator: " ")
        guard words.count >= 2, words[0] == "lease", output.contains(" granted with TTL(") else {
            throw HarnessError(description: "unexpected grant output: \(output)")
        }
        return String(words[1])
    }
}
