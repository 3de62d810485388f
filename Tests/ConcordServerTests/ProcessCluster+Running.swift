import Testing

extension ProcessCluster {
    /// Starts a cluster of `size` processes, waits for a leader, runs `body`,
    /// and shuts the cluster down; a failure is recorded with every node's log.
    static func withRunningCluster(size: Int, _ body: (ProcessCluster) async throws -> Void) async throws {
        let cluster = try ProcessCluster(size: size)
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
}
