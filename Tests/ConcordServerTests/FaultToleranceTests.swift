import ConcordChecker
import ConcordServerCore
import Foundation
import Synchronization
import Testing

/// A history recorder shared by the client tasks of a test.
final class HistoryRecorder: Sendable {
    private let state = Mutex<(events: [HistoryEvent], acknowledged: Set<String>)>(([], []))
    private let start = ContinuousClock.now

    private func now() -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    func record(_ process: Int, _ kind: HistoryEvent.Kind, _ function: HistoryEvent.Function, _ key: String, _ value: String?) {
        state.withLock { state in
            // Times are taken under the lock so they never decrease in order.
            state.events.append(HistoryEvent(process: process, kind: kind, function: function, key: key, value: value, time: now()))
        }
    }

    func acknowledge(_ key: String) {
        _ = state.withLock { $0.acknowledged.insert(key) }
    }

    var events: [HistoryEvent] { state.withLock { $0.events } }
    var acknowledged: Set<String> { state.withLock { $0.acknowledged } }
}

/// A flag the test sets to stop its client tasks.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Real processes, real files, `kill -9`: a cluster keeps serving and loses
/// nothing it acknowledged.
extension ProcessClusterTests {
@Suite struct FaultToleranceTests {
    /// The bound within which a new leader must serve writes after the
    /// leader is killed: election timeout 500–1000 ms, plus process start
    /// of nothing (the survivors run already), plus slack for a loaded
    /// two-core CI machine running a debug build.
    static let failoverBoundSeconds: Double = 10

    @Test(arguments: ConsensusEngineKind.allCases)
    func killingLeaderThenFollowerLosesNoAcknowledgedWriteAndStaysLinearizable(engine: ConsensusEngineKind) async throws {
        let cluster = try ProcessCluster(
            size: 3, extraArguments: ["--snapshot-count", "25", "--request-timeout", "2000"], consensus: engine)
        try cluster.startAll()
        let clients = try cluster.nodes.map { try EtcdClient(port: $0.clientPort) }
        do {
            try await run(cluster, clients)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        for client in clients { client.close() }
        await cluster.shutdown()
    }

    private func run(_ cluster: ProcessCluster, _ clients: [EtcdClient]) async throws {
        try await cluster.waitForLeader(seconds: 20)
        let recorder = HistoryRecorder()
        let stop = StopFlag()
        let workers = 3
        let registerKeys = ["r0", "r1", "r2"]

        // Clients: each worker alternates a unique durable write with a
        // random get or put on a shared register, on a rotating node.
        let clientTasks = (0..<workers).map { worker in
            Task {
                var process = worker
                var sequence = 0
                while !stop.isSet {
                    // A worker whose node is down moves on to the next one
                    // without spinning.
                    if sequence % 8 == 0 { try? await Task.sleep(for: .milliseconds(5)) }
                    sequence += 1
                    let client = clients[(worker + sequence) % clients.count]
                    let unique = "a-\(worker)-\(sequence)"
                    if (try? await client.put(unique, "x", seconds: 2, waitForReady: false)) != nil { recorder.acknowledge(unique) }
                    let key = registerKeys[Int.random(in: 0..<registerKeys.count)]
                    if Bool.random() {
                        let value = "\(worker)-\(sequence)"
                        recorder.record(process, .invoke, .put, key, value)
                        do {
                            _ = try await client.put(key, value, seconds: 2, waitForReady: false)
                            recorder.record(process, .ok, .put, key, value)
                        } catch {
                            // The write may or may not have happened; this
                            // process issues nothing more, as Jepsen's rules say.
                            recorder.record(process, .info, .put, key, value)
                            process += workers
                        }
                    } else {
                        recorder.record(process, .invoke, .get, key, nil)
                        do {
                            let value = try await client.get(key, seconds: 2, waitForReady: false)
                            recorder.record(process, .ok, .get, key, value)
                        } catch {
                            recorder.record(process, .fail, .get, key, nil)
                        }
                    }
                }
            }
        }

        func waitForProgress(_ writes: Int, _ what: String) async throws {
            let target = recorder.acknowledged.count + writes
            try await waitUntil(what, seconds: 30) { recorder.acknowledged.count >= target }
        }

        try await waitForProgress(30, "writes before any fault")

        // Kill the leader; a new one must serve within the bound.
        let oldLeader = try await cluster.waitForLeader(seconds: 20)
        cluster.kill9(oldLeader)
        let killedAt = ContinuousClock.now
        let survivor = clients[(oldLeader + 1) % clients.count]
        try await waitUntil("a write after the leader died", seconds: Self.failoverBoundSeconds) {
            (try? await survivor.put("failover", "ok", seconds: 1)) != nil
        }
        let failover = ContinuousClock.now - killedAt
        #expect(failover < .seconds(Self.failoverBoundSeconds))
        try await waitForProgress(20, "writes after the leader died")

        // Bring it back; it catches up from its own disk and the leader.
        try cluster.start(oldLeader)
        try await waitForProgress(20, "writes after the old leader restarted")

        // Kill a follower; the majority goes on.
        let leader = try await cluster.waitForLeader(seconds: 20)
        let follower = (0..<3).first { $0 != leader && $0 != oldLeader } ?? (leader + 1) % 3
        cluster.kill9(follower)
        // Enough writes that the leader snapshots and discards the log the
        // follower would need (--snapshot-count 25).
        try await waitForProgress(45, "writes while a follower is down")
        try cluster.start(follower)
        try await waitForProgress(20, "writes after the follower restarted")

        stop.set()
        for task in clientTasks { await task.value }

        // Every node, read locally, holds every acknowledged write.
        let acknowledged = recorder.acknowledged
        for (index, client) in clients.enumerated() {
            try await waitUntil("node \(index) to hold all \(acknowledged.count) acknowledged writes", seconds: 20) {
                try await client.keys(prefix: "a-").isSuperset(of: acknowledged)
            }
        }
        // The restarted follower caught up through a snapshot.
        let installed = try await cluster.metric(follower, "concord_server_snapshots_installed_total") ?? 0
        #expect(installed >= 1, "the restarted follower installed no snapshot")

        // A final linearizable read of every register key closes the history.
        for key in registerKeys {
            recorder.record(1000, .invoke, .get, key, nil)
            let value = try await clients[0].get(key, seconds: 5)
            recorder.record(1000, .ok, .get, key, value)
        }
        let history = try History(recorder.events)
        let verdict = checkLinearizability(history, budget: .steps(5_000_000))
        #expect(verdict.isLinearizable, "\(verdict)")
    }
}
}
