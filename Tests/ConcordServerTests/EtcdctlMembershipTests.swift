import ConcordServer
import ConcordServerCore
import Foundation
import Testing

/// etcdctl 3.4's `member` commands against a Concord cluster of processes:
/// members join a running cluster, learners are promoted, peer URLs change,
/// members leave, and refusals are etcd's.
extension ProcessClusterTests {
@Suite struct EtcdctlMembershipTests {
    /// One row of `etcdctl member list`.
    struct Row: Equatable {
        var id: String, status: String, name: String, peerURLs: String, clientURLs: String, isLearner: Bool
    }

    static func rows(_ output: String) -> [Row] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.components(separatedBy: ", ")
            guard fields.count == 6 else { return nil }
            return Row(id: fields[0], status: fields[1], name: fields[2], peerURLs: fields[3], clientURLs: fields[4], isLearner: fields[5] == "true")
        }
    }

    static func hex(_ id: UInt64) -> String { String(id, radix: 16) }

    static func peerURL(_ cluster: ProcessCluster, _ index: Int) -> String { "http://127.0.0.1:\(cluster.nodes[index].peerPort)" }

    static func clientURL(_ cluster: ProcessCluster, _ index: Int) -> String { "http://127.0.0.1:\(cluster.nodes[index].clientPort)" }

    /// Endpoints of the given nodes, as etcdctl takes them.
    static func endpoints(_ cluster: ProcessCluster, _ indices: [Int]) -> String {
        indices.map { cluster.endpoint($0) }.joined(separator: ",")
    }

    /// Waits until `member list` (from `endpoint`) shows exactly the nodes
    /// `indices`, each started with its name and client URL.
    static func waitForStartedMembers(_ cluster: ProcessCluster, _ indices: [Int], endpoint: String) async throws {
        try await waitUntil("members \(indices) started", seconds: 20) {
            let rows = rows(try await cluster.etcdctlOK(["member", "list"], endpoints: endpoint))
            let expected = Set(indices.map { "\(cluster.nodes[$0].name) \(clientURL(cluster, $0))" })
            return rows.count == indices.count && rows.allSatisfy { $0.status == "started" }
                && Set(rows.map { "\($0.name) \($0.clientURLs)" }) == expected
        }
    }

    /// Runs `member add` and starts the new node with the
    /// `ETCD_INITIAL_CLUSTER` etcdctl printed (serving Redis clients too,
    /// with `redis`).
    /// - Returns: the new node's index and its member id in hex.
    static func addAndStart(_ cluster: ProcessCluster, learner: Bool, endpoints: String, redis: Bool = false) async throws -> (Int, String) {
        let index = try cluster.addNode(redis: redis)
        let url = peerURL(cluster, index)
        let name = cluster.nodes[index].name
        let output = try await cluster.etcdctlOK(
            ["member", "add", name, "--peer-urls=\(url)"] + (learner ? ["--learner"] : []), endpoints: endpoints)
        let id = hex(ClusterMember.id(forPeerURLs: [url]))
        // etcdctl pads ids to 16 columns with spaces.
        #expect(output.hasPrefix("Member ") && output.contains("\(id) added to cluster "), "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("ETCD_INITIAL_CLUSTER=") })
        let initialCluster = line.dropFirst("ETCD_INITIAL_CLUSTER=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        #expect(initialCluster.contains("\(name)=\(url)"))
        #expect(output.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""))
        cluster.setJoinCluster(index, initialCluster)
        try cluster.start(index)
        return (index, id)
    }

    /// Waits until node `index` serves `key` = `value` from its own store.
    static func waitForKey(_ cluster: ProcessCluster, _ index: Int, _ key: String, _ value: String) async throws {
        try await waitUntil("\(key) on \(cluster.nodes[index].name)", seconds: 20) {
            try await cluster.etcdctlOK(["get", "--consistency=s", key], endpoints: cluster.endpoint(index)) == "\(key)\n\(value)\n"
        }
    }

    static func refusal(_ cluster: ProcessCluster, _ arguments: [String], endpoints: String) async throws -> String {
        let result = try await cluster.etcdctl(arguments, endpoints: endpoints)
        #expect(result.status != 0, "etcdctl \(arguments) succeeded: \(result.output)")
        return result.error
    }

    /// Removes a voter, as etcd's strict reconfiguration check allows it:
    /// the check refuses with "unhealthy cluster" until enough of the
    /// remaining voters have been connected to the leader for its health
    /// interval (5 s), which members that just joined, were promoted or
    /// changed their peer URL have not. The test waits for that condition
    /// (the refusal's end) rather than for a fixed time, and any other
    /// refusal fails it at once.
    static func removeWhenHealthy(_ cluster: ProcessCluster, _ id: String, endpoints: String) async throws -> String {
        var answer: (status: Int32, output: String, error: String)?
        try await waitUntil("the cluster to accept removing \(id)", seconds: 20) {
            let result = try await cluster.etcdctl(["member", "remove", id], endpoints: endpoints)
            answer = (result.status, result.output, result.error)
            return result.status == 0 || !result.error.contains("etcdserver: unhealthy cluster")
        }
        guard let answer, answer.status == 0 else {
            throw HarnessError(description: "member remove \(id) refused: \(answer?.error ?? "")")
        }
        return answer.output
    }

    @Test func membersJoinArePromotedUpdatedAndRemovedWithEtcdctl() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            let founders = Self.endpoints(cluster, [0, 1, 2])
            #expect(try await cluster.etcdctlOK(["put", "before", "1"], endpoints: founders) == "OK\n")
            // Every founding member publishes its client URL.
            try await Self.waitForStartedMembers(cluster, [0, 1, 2], endpoint: cluster.endpoint(2))

            // A voter joins, catches up and serves reads and writes.
            let (fourth, fourthID) = try await Self.addAndStart(cluster, learner: false, endpoints: founders)
            try await Self.waitForKey(cluster, fourth, "before", "1")
            #expect(try await cluster.etcdctlOK(["put", "through-n4", "4"], endpoints: cluster.endpoint(fourth)) == "OK\n")
            #expect(try await cluster.etcdctlOK(["get", "through-n4"], endpoints: cluster.endpoint(0)) == "through-n4\n4\n")
            try await Self.waitForStartedMembers(cluster, [0, 1, 2, 3], endpoint: cluster.endpoint(fourth))
            let listed = Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: cluster.endpoint(0)))
            #expect(listed.first { $0.name == "n4" }?.id == fourthID)
            #expect(listed.allSatisfy { !$0.isLearner })
            // etcdctl --cluster finds every member's endpoint.
            let health = try await cluster.etcdctl(["endpoint", "health", "--cluster"], endpoints: cluster.endpoint(0))
            #expect(health.status == 0, "\(health.error)")
            for index in 0..<4 { #expect((health.output + health.error).contains(Self.clientURL(cluster, index))) }

            // A learner joins and catches up; a voter cannot be promoted, a
            // second learner is refused, and the leader promotes the learner.
            let (fifth, fifthID) = try await Self.addAndStart(cluster, learner: true, endpoints: founders)
            try await Self.waitForKey(cluster, fifth, "through-n4", "4")
            try await Self.waitForStartedMembers(cluster, [0, 1, 2, 3, 4], endpoint: cluster.endpoint(0))
            #expect(Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: founders)).first { $0.id == fifthID }?.isLearner == true)
            let voterPromotion = try await Self.refusal(cluster, ["member", "promote", fourthID], endpoints: founders)
            #expect(voterPromotion.contains("etcdserver: can only promote a learner member"), "\(voterPromotion)")
            let secondLearner = try await Self.refusal(
                cluster, ["member", "add", "n9", "--learner", "--peer-urls=http://127.0.0.1:1"], endpoints: founders)
            #expect(secondLearner.contains("etcdserver: too many learner members in cluster"), "\(secondLearner)")
            let leader = try await cluster.waitForLeader(seconds: 10)
            #expect(try await cluster.etcdctlOK(["member", "promote", fifthID], endpoints: cluster.endpoint(leader)).contains("\(fifthID) promoted"))
            #expect(Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: founders)).allSatisfy { !$0.isLearner })

            // Update: n5 is reached through another spelling of its address.
            let newURL = "http://localhost:\(cluster.nodes[fifth].peerPort)"
            #expect(
                try await cluster.etcdctlOK(["member", "update", fifthID, "--peer-urls=\(newURL)"], endpoints: founders)
                    .contains("\(fifthID) updated"))
            for index in [0, 1, 2, 3, 4] {
                try await waitUntil("n\(index + 1) sees n5's new peer URL", seconds: 10) {
                    Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: cluster.endpoint(index)))
                        .first { $0.id == fifthID }?.peerURLs == newURL
                }
            }
            #expect(try await cluster.etcdctlOK(["put", "after-update", "5"], endpoints: cluster.endpoint(fifth)) == "OK\n")

            // Remove n4: it stops, the others keep serving writes.
            #expect(try await Self.removeWhenHealthy(cluster, fourthID, endpoints: founders).contains("\(fourthID) removed"))
            try await waitUntil("the removed member to exit", seconds: 15) { !cluster.isRunning(fourth) }
            #expect(try await cluster.etcdctlOK(["put", "after-remove", "6"], endpoints: founders) == "OK\n")
            try await Self.waitForKey(cluster, fifth, "after-remove", "6")
            let remaining = Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: founders))
            #expect(Set(remaining.map(\.name)) == ["n1", "n2", "n3", "n5"])
            let log = (try? String(contentsOf: cluster.nodes[fourth].logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("the member has been permanently removed from the cluster"))
            // Restarted on its data directory, the removed member exits again.
            try cluster.start(fourth)
            try await waitUntil("the restarted removed member to exit", seconds: 15) { !cluster.isRunning(fourth) }
            let restartLog = (try? String(contentsOf: cluster.nodes[fourth].logFile, encoding: .utf8)) ?? ""
            #expect(restartLog.contains("belongs to a removed member"))

            // The leader removes itself: the call is answered, it exits, a
            // new leader serves.
            let oldLeader = try await cluster.waitForLeader(seconds: 10)
            let oldLeaderID = Self.hex(
                oldLeader == fifth ? ClusterMember.id(forPeerURLs: [Self.peerURL(cluster, fifth)]) : ClusterMember.id(forName: cluster.nodes[oldLeader].name))
            #expect(
                try await Self.removeWhenHealthy(cluster, oldLeaderID, endpoints: cluster.endpoint(oldLeader)).contains("\(oldLeaderID) removed"))
            try await waitUntil("the removed leader to exit", seconds: 15) { !cluster.isRunning(oldLeader) }
            let survivors = [0, 1, 2, fifth].filter { $0 != oldLeader }
            try await cluster.waitForLeader(seconds: 20)
            #expect(try await cluster.etcdctlOK(["put", "after-leader-removal", "8"], endpoints: Self.endpoints(cluster, survivors)) == "OK\n")
            #expect(Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: Self.endpoints(cluster, survivors))).count == 3)
            #expect(try await cluster.etcdctlOK(["put", "after-restart", "7"], endpoints: founders) == "OK\n")
        }
    }

    /// A Multi-Paxos cluster has the replicas it was founded with: etcdctl's
    /// member add, remove and promote get the fixed-replicas refusal and
    /// change nothing, while member update (a normal entry) still works.
    @Test func aMultiPaxosClusterRefusesMemberAddRemoveAndPromoteClearly() async throws {
        try await ProcessCluster.withRunningCluster(size: 3, consensus: .multiPaxos) { cluster in
            let founders = Self.endpoints(cluster, [0, 1, 2])
            try await Self.waitForStartedMembers(cluster, [0, 1, 2], endpoint: cluster.endpoint(0))
            let before = try await cluster.etcdctlOK(["member", "list"], endpoints: founders)
            let n2 = Self.hex(ClusterMember.id(forName: "n2"))
            let fixed = "etcdserver: membership changes are not supported: this cluster runs Multi-Paxos, whose replicas are fixed"
            let refused: [[String]] = [
                ["member", "add", "n4", "--peer-urls=http://127.0.0.1:1"],
                ["member", "add", "n4", "--learner", "--peer-urls=http://127.0.0.1:1"],
                ["member", "remove", n2],
                ["member", "promote", n2],
            ]
            for arguments in refused {
                let error = try await Self.refusal(cluster, arguments, endpoints: founders)
                #expect(error.contains(fixed), "etcdctl \(arguments): \(error)")
            }
            #expect(try await cluster.etcdctlOK(["member", "list"], endpoints: founders) == before)
            #expect(try await cluster.etcdctlOK(["put", "still", "serving"], endpoints: founders) == "OK\n")
        }
    }

    @Test func badMembershipRequestsAreRefusedAsEtcdAndChangeNothing() async throws {
        try await ProcessCluster.withRunningCluster(size: 3) { cluster in
            let founders = Self.endpoints(cluster, [0, 1, 2])
            try await Self.waitForStartedMembers(cluster, [0, 1, 2], endpoint: cluster.endpoint(0))
            let before = try await cluster.etcdctlOK(["member", "list"], endpoints: founders)
            let n2 = Self.hex(ClusterMember.id(forName: "n2"))
            let cases: [([String], String)] = [
                (["member", "remove", "1234abcd"], "etcdserver: member not found"),
                (["member", "update", "1234abcd", "--peer-urls=http://127.0.0.1:1"], "etcdserver: member not found"),
                (["member", "promote", "1234abcd"], "etcdserver: member not found"),
                (["member", "promote", n2], "etcdserver: can only promote a learner member"),
                (["member", "add", "n9", "--peer-urls=\(Self.peerURL(cluster, 0))"], "etcdserver: Peer URLs already exists"),
                (["member", "update", n2, "--peer-urls=\(Self.peerURL(cluster, 0))"], "etcdserver: Peer URLs already exists"),
                (["member", "add", "n9", "--peer-urls=https://127.0.0.1:1"], "etcdserver: given member URLs are invalid"),
                (["member", "add", "n9", "--peer-urls=http://127.0.0.1:0"], "etcdserver: given member URLs are invalid"),
            ]
            for (arguments, message) in cases {
                let error = try await Self.refusal(cluster, arguments, endpoints: founders)
                #expect(error.contains(message), "etcdctl \(arguments): \(error)")
            }
            // A voter that never starts leaves 3 started of 4; a second one
            // would leave 3 of 5 started, still a quorum; a third, 3 of 6, not.
            for port in [1, 2] {
                _ = try await cluster.etcdctlOK(["member", "add", "x\(port)", "--peer-urls=http://127.0.0.1:\(port)"], endpoints: founders)
            }
            let unstarted = try await Self.refusal(cluster, ["member", "add", "x3", "--peer-urls=http://127.0.0.1:3"], endpoints: founders)
            #expect(unstarted.contains("etcdserver: re-configuration failed due to not enough started members"), "\(unstarted)")
            for port in [1, 2] {
                let id = Self.hex(ClusterMember.id(forPeerURLs: ["http://127.0.0.1:\(port)"]))
                _ = try await cluster.etcdctlOK(["member", "remove", id], endpoints: founders)
            }
            #expect(try await cluster.etcdctlOK(["member", "list"], endpoints: founders) == before)
            #expect(try await cluster.etcdctlOK(["put", "still", "serving"], endpoints: founders) == "OK\n")
        }
    }

    @Test func aJoiningMemberCatchesUpFromASnapshotAndKeepsItsIdentityAcrossRestarts() async throws {
        try await ProcessCluster.withRunningCluster(size: 3, extraArguments: ["--snapshot-count", "20"]) { cluster in
            let founders = Self.endpoints(cluster, [0, 1, 2])
            for index in 0..<60 { _ = try await cluster.etcdctlOK(["put", "k\(index)", "v\(index)"], endpoints: founders) }
            try await Self.waitForStartedMembers(cluster, [0, 1, 2], endpoint: cluster.endpoint(0))
            let (fourth, fourthID) = try await Self.addAndStart(cluster, learner: false, endpoints: founders)
            try await Self.waitForKey(cluster, fourth, "k59", "v59")
            try await Self.waitForStartedMembers(cluster, [0, 1, 2, 3], endpoint: cluster.endpoint(fourth))
            let log = (try? String(contentsOf: cluster.nodes[fourth].logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("installed snapshot"))

            // Both the new member and a founding member restart on their data.
            cluster.kill9(fourth)
            cluster.kill9(0)
            try cluster.start(fourth)
            try cluster.start(0)
            try await cluster.waitForLeader(seconds: 20)
            #expect(try await cluster.etcdctlOK(["put", "after-restart", "x"], endpoints: cluster.endpoint(fourth)) == "OK\n")
            try await Self.waitForKey(cluster, 0, "after-restart", "x")
            for index in [0, fourth] {
                let rows = Self.rows(try await cluster.etcdctlOK(["member", "list"], endpoints: cluster.endpoint(index)))
                #expect(rows.count == 4)
                #expect(rows.first { $0.name == "n4" }?.id == fourthID)
            }
            let status = try await cluster.etcdctlOK(["endpoint", "status", "-w", "json"], endpoints: cluster.endpoint(fourth))
            #expect(status.contains("\"member_id\":\(ClusterMember.id(forPeerURLs: [Self.peerURL(cluster, fourth)]))"), "\(status)")
        }
    }
}
}
