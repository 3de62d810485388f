import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `concord server` fails loudly at start when a listener cannot bind, and
/// stops within its stated bound on SIGTERM whatever it is doing.
extension ProcessClusterTests {
@Suite struct StartStopProcessTests {
    /// The bound `concord server` states for a stop on request, in seconds
    /// (ShutdownWatchdog.stopSecondsMax), with one second for the process
    /// to be reaped and seen.
    static let stopSecondsBound = 11.0
    /// How long a failed start may take, in seconds.
    static let failedStartSecondsBound = 10.0

    /// Starts node 0 of a three-member cluster (the others also run when
    /// `others` is set) with one of its ports held, and checks that it exits
    /// non-zero with etcd's wording, naming the listener, without ever
    /// talking to its peers.
    private func expectFailedStart(
        _ held: HeldPort, listener: String, scheme: String = "http", others: Bool, move: (ProcessCluster, Int) -> Void
    ) async throws {
        let cluster = try ProcessCluster(size: 3)
        move(cluster, held.port)
        do {
            if others {
                try cluster.start(1)
                try cluster.start(2)
            }
            try cluster.start(0)
            let exit = try await cluster.waitForExit(0, seconds: Self.failedStartSecondsBound)
            let log = cluster.log(0)
            #expect(!exit.bySignal && exit.status != 0, "\(exit)")
            #expect(log.contains("concord server: cannot listen for \(listener) on \(scheme)://127.0.0.1:\(held.port)"), "\(log)")
            #expect(log.contains("listen tcp 127.0.0.1:\(held.port): bind: address already in use"), "\(log)")
            #expect(!log.contains("listening for peers"), "\(log)")
            #expect(!log.contains("serving clients"), "\(log)")
            if others {
                // The two others are a majority: they serve without it.
                try await waitUntil("n2 or n3 to lead", seconds: 20) {
                    let leaders = (try await cluster.metric(1, "concord_server_is_leader") ?? 0)
                        + (try await cluster.metric(2, "concord_server_is_leader") ?? 0)
                    return leaders == 1
                }
                #expect(try await cluster.etcdctlOK(["put", "k", "v"], endpoints: "\(cluster.endpoint(1)),\(cluster.endpoint(2))") == "OK\n")
            }
        } catch {
            let logs = cluster.logs()
            await cluster.shutdown()
            Issue.record("\(error)\n\(logs)")
            return
        }
        await cluster.shutdown()
    }

    @Test func aClientPortHeldByAListenerStopsTheServerAtStart() async throws {
        let held = try HeldPort.listening()
        try await expectFailedStart(held, listener: "clients", others: true) { $0.setPorts(0, client: $1) }
    }

    @Test func aClientPortHeldByTheLocalEndOfAnOutgoingConnectionStopsTheServerAtStart() async throws {
        let held = try HeldPort.outgoingConnection()
        try await expectFailedStart(held, listener: "clients", others: false) { $0.setPorts(0, client: $1) }
    }

    @Test func aPeerPortInUseStopsTheServerAtStart() async throws {
        let held = try HeldPort.listening()
        try await expectFailedStart(held, listener: "peers", others: false) { $0.setPorts(0, peer: $1) }
    }

    @Test func aMetricsPortInUseStopsTheServerAtStart() async throws {
        let held = try HeldPort.outgoingConnection()
        try await expectFailedStart(held, listener: "metrics", others: false) { $0.setPorts(0, metrics: $1) }
    }

    @Test func aRedisPortInUseStopsTheServerAtStart() async throws {
        let held = try HeldPort.listening()
        try await expectFailedStart(held, listener: "redis", scheme: "redis", others: false) { $0.setPorts(0, redis: $1) }
    }

    @Test func aZooKeeperPortInUseStopsTheServerAtStart() async throws {
        let held = try HeldPort.outgoingConnection()
        try await expectFailedStart(held, listener: "zookeeper", scheme: "zk", others: false) { $0.setPorts(0, zooKeeper: $1) }
    }

    /// Sends SIGTERM to node `index` and returns how long it took to exit.
    private func terminate(_ cluster: ProcessCluster, _ index: Int) async throws -> (seconds: Double, status: Int32, bySignal: Bool) {
        let start = ContinuousClock.now
        cluster.signal(index, SIGTERM)
        let exit = try await cluster.waitForExit(index, seconds: Self.stopSecondsBound)
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, exit.status, exit.bySignal)
    }

    @Test func sigtermEndsAServingNodeWithAWatchOpenWithinTheBound() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            // A watch is a call that never ends by itself: the drain must cut it.
            let watcher = try WatchProcess(endpoints: cluster.endpoint(0), ["w"])
            defer { watcher.stop() }
            // The watch process may register after a single put is applied
            // (it starts at the then-current revision): put until it sees one.
            try await waitUntil("the watch to see w=1", seconds: 20) {
                _ = try await cluster.etcdctlOK(["put", "w", "1"])
                return watcher.output.contains("PUT\nw\n1\n")
            }
            let stop = try await terminate(cluster, 0)
            #expect(!stop.bySignal && stop.status == 0, "\(stop)")
            let log = cluster.log(0)
            #expect(log.contains("shutting down") && log.contains("node stopped"), "\(log)")
        }
    }

    @Test func sigtermEndsANodeWithoutQuorumWithAWriteWaitingWithinTheBound() async throws {
        let cluster = try ProcessCluster(size: 3)
        do {
            // Only n1 runs: it never learns of a leader, and a write waits.
            try cluster.start(0)
            try await waitUntil("n1 to serve clients", seconds: 20) { cluster.log(0).contains("serving clients") }
            let writer = try WatchProcess(endpoints: cluster.endpoint(0), command: ["put"], ["waiting", "write"])
            defer { writer.stop() }
            try await Task.sleep(for: .milliseconds(300))
            let stop = try await terminate(cluster, 0)
            #expect(!stop.bySignal && stop.status == 0, "\(stop)")
        } catch {
            let logs = cluster.logs()
            await cluster.shutdown()
            Issue.record("\(error)\n\(logs)")
            return
        }
        await cluster.shutdown()
    }

    @Test func sigtermRightAfterLaunchEndsTheProcessWithinTheBound() async throws {
        let cluster = try ProcessCluster(size: 3)
        do {
            try cluster.start(0)
            let stop = try await terminate(cluster, 0)
            // Either the default action (before any handler is in place) or
            // the graceful stop: the process is gone within the bound.
            #expect(stop.seconds < Self.stopSecondsBound)
        } catch {
            let logs = cluster.logs()
            await cluster.shutdown()
            Issue.record("\(error)\n\(logs)")
            return
        }
        await cluster.shutdown()
    }
}
}
