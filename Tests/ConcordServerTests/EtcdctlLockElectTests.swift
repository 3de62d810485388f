import Foundation
import Testing

/// etcdctl 3.4's `lock` and `elect` against a three-process Concord
/// cluster. etcdctl builds both from keys, leases and watches (etcd's
/// client-side concurrency package), so these check that Concord's KV,
/// Lease and Watch give the guarantees those recipes rely on.
extension ProcessClusterTests {
@Suite struct EtcdctlLockElectTests {
    private func run(_ body: (ProcessCluster) async throws -> Void) async throws {
        try await ProcessCluster.withRunningCluster(size: 3, body)
    }

    private func keys(_ cluster: ProcessCluster, prefix: String) async throws -> [String] {
        let result = try await cluster.etcdctl(["get", "--prefix", "--keys-only", prefix])
        guard result.status == 0 else { throw HarnessError(description: "etcdctl get failed: \(result.error)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    @Test func etcdctlLockCommandsRunOneAtATime() async throws {
        try await run { cluster in
            let log = cluster.root.appendingPathComponent("critical-sections.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            // Each command records entering and leaving its critical section
            // with its fencing token, and stays inside for a moment so that
            // a second holder, if the lock let one in, would interleave.
            let script = "echo \"start $ETCD_LOCK_REV\" >> '\(log.path)'; sleep 0.3; echo \"end $ETCD_LOCK_REV\" >> '\(log.path)'"
            let holders = 3
            try await withThrowingTaskGroup(of: CommandResult.self) { group in
                for _ in 0..<holders {
                    group.addTask { try await cluster.etcdctl(["lock", "mutex", "--", "sh", "-c", script]) }
                }
                for try await result in group {
                    #expect(result.status == 0, "etcdctl lock failed: \(result.error)")
                }
            }
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 2 * holders, "\(lines)")
            var tokens: [Int64] = []
            for pair in stride(from: 0, to: lines.count - 1, by: 2) {
                let start = lines[pair].split(separator: " "), end = lines[pair + 1].split(separator: " ")
                // Sections never overlap: every start is followed by its own end.
                #expect(start.first == "start" && end.first == "end" && start.last == end.last, "overlap in \(lines)")
                if let token = start.last.flatMap({ Int64($0) }) { tokens.append(token) }
            }
            #expect(tokens == tokens.sorted() && Set(tokens).count == holders, "fencing tokens \(tokens)")
            #expect(try await keys(cluster, prefix: "mutex/") == [])
        }
    }

    @Test func etcdctlLockWaitsForTheHolderAndAcquiresWhenItsLeaseExpires() async throws {
        try await run { cluster in
            // The holder's session lease is short; killing the holder stops
            // its keep-alives, so the lease expires and frees the lock.
            let holder = try WatchProcess(endpoints: cluster.endpoints, command: ["lock", "--ttl=2"], ["gate"])
            defer { holder.stop() }
            let held = try await holder.waitForOutput("gate/", seconds: 15)
            #expect(held.hasPrefix("gate/"))
            let waiter = try WatchProcess(endpoints: cluster.endpoints, command: ["lock"], ["gate"])
            defer { waiter.stop() }
            try await waitUntil("the waiter to queue its key", seconds: 15) { try await keys(cluster, prefix: "gate/").count == 2 }
            // Queued behind the holder, the waiter has not acquired.
            #expect(waiter.output == "")
            holder.stop()
            let acquired = try await waiter.waitForOutput("gate/", seconds: 20)
            #expect(acquired.hasPrefix("gate/") && acquired != held, "holder \(held), waiter \(acquired)")
            #expect(try await keys(cluster, prefix: "gate/") == [acquired.trimmingCharacters(in: .newlines)])
        }
    }

    @Test func etcdctlElectObserverSeesTheLeaderAndFailoverToTheNextCandidate() async throws {
        try await run { cluster in
            let observer = try WatchProcess(endpoints: cluster.endpoints, command: ["elect", "-l"], ["pick"])
            defer { observer.stop() }
            let first = try WatchProcess(endpoints: cluster.endpoints, command: ["elect"], ["pick", "alpha"])
            defer { first.stop() }
            try await waitUntil("alpha to lead", seconds: 15) { first.output.hasSuffix("\nalpha\n") }
            let firstKey = String(first.output.split(separator: "\n")[0])
            try await waitUntil("the observer to see alpha", seconds: 15) { observer.output.contains("\(firstKey)\nalpha\n") }

            let second = try WatchProcess(endpoints: cluster.endpoints, command: ["elect"], ["pick", "beta"])
            defer { second.stop() }
            try await waitUntil("beta to queue", seconds: 15) { try await keys(cluster, prefix: "pick/").count == 2 }
            #expect(second.output == "")

            // The leader dies. etcdctl's session lease lasts 60 s, so instead
            // of waiting for it to run out the test revokes it, which is what
            // its expiry does.
            first.stop()
            let leaseID = String(firstKey.dropFirst("pick/".count))
            let revoked = try await cluster.etcdctl(["lease", "revoke", leaseID])
            #expect(revoked.status == 0, "\(revoked.error)")
            try await waitUntil("beta to lead", seconds: 15) { second.output.hasSuffix("\nbeta\n") }
            let secondKey = String(second.output.split(separator: "\n")[0])
            #expect(secondKey != firstKey)
            try await waitUntil("the observer to see beta", seconds: 15) { observer.output.hasSuffix("\(secondKey)\nbeta\n") }
        }
    }
}
}
