import ConcordServerCore
import Foundation
import Testing

/// etcdctl 3.4's `watch` against a three-process Concord cluster.
extension ProcessClusterTests {
@Suite struct EtcdctlWatchTests {
    @Test(arguments: ConsensusEngineKind.allCases)
    func etcdctlWatchOnPrefixFromRevisionWithPrevKVPrintsEtcdsEvents(engine: ConsensusEngineKind) async throws {
        try await ProcessCluster.withRunningCluster(size: 3, consensus: engine) { cluster in
            var watchers: [WatchProcess] = []
            defer { for watcher in watchers { watcher.stop() } }
            try await exercise(cluster, &watchers)
        }
    }

    private func ok(_ cluster: ProcessCluster, _ arguments: [String], endpoints: String? = nil) async throws -> String {
        try await cluster.etcdctlOK(arguments, endpoints: endpoints)
    }

    /// The store's revision, from a read's response header.
    private func revision(_ cluster: ProcessCluster) async throws -> Int64 {
        let json = try await ok(cluster, ["get", "none", "-w", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        guard let header = object?["header"] as? [String: Any], let revision = (header["revision"] as? NSNumber)?.int64Value else {
            throw HarnessError(description: "no revision in \(json)")
        }
        return revision
    }

    private func exercise(_ cluster: ProcessCluster, _ watchers: inout [WatchProcess]) async throws {
        // History first: the watch below starts in the past (--rev).
        let first = try await revision(cluster) + 1
        #expect(try await ok(cluster, ["put", "x/a", "1"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "x/b", "2"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "other", "3"]) == "OK\n")
        #expect(try await ok(cluster, ["del", "x/a"]) == "1\n")

        // A prefix watch from a past revision, held by each node in turn:
        // the history, then live events, only keys under the prefix.
        for index in 0..<3 {
            watchers.append(try WatchProcess(endpoints: cluster.endpoint(index), ["--prefix", "x/", "--rev=\(first)"]))
        }
        #expect(try await ok(cluster, ["put", "x/c", "4"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "y", "5"]) == "OK\n")
        let expected = "PUT\nx/a\n1\nPUT\nx/b\n2\nDELETE\nx/a\n\nPUT\nx/c\n4\n"
        for watcher in watchers {
            #expect(try await watcher.waitForOutput(expected, seconds: 10) == expected)
        }

        // --prev-kv on one key, from the next revision: puts and deletes
        // carry the previous value.
        let next = try await revision(cluster) + 1
        let previous = try WatchProcess(endpoints: cluster.endpoints, ["--prev-kv", "--rev=\(next)", "x/b"])
        watchers.append(previous)
        #expect(try await ok(cluster, ["put", "x/b", "6"]) == "OK\n")
        #expect(try await ok(cluster, ["put", "x/bb", "7"]) == "OK\n")
        #expect(try await ok(cluster, ["del", "x/b"]) == "1\n")
        let withPrevious = "PUT\nx/b\n2\nx/b\n6\nDELETE\nx/b\n6\nx/b\n\n"
        #expect(try await previous.waitForOutput(withPrevious, seconds: 10) == withPrevious)
        // Nothing else arrived on the prefix watchers than the new events.
        let more = expected + "PUT\nx/b\n6\nPUT\nx/bb\n7\nDELETE\nx/b\n\n"
        for watcher in watchers.prefix(3) {
            #expect(try await watcher.waitForOutput(more, seconds: 10) == more)
        }

        // -w json: each response's header names the cluster, the member
        // holding the stream, the event's revision and the raft term.
        let headed = try WatchProcess(endpoints: cluster.endpoint(1), ["-w", "json", "j"])
        watchers.append(headed)
        try await waitUntil("a put seen by the JSON watcher", seconds: 10) {
            _ = try await ok(cluster, ["put", "j", "x"])
            return headed.output.contains("\n")
        }
        let line = try #require(headed.output.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let header = try #require(object["Header"] as? [String: Any])
        let events = try #require(object["Events"] as? [[String: Any]])
        let kv = try #require(events.first?["kv"] as? [String: Any])
        #expect((header["cluster_id"] as? NSNumber)?.uint64Value ?? 0 != 0)
        #expect((header["member_id"] as? NSNumber)?.uint64Value ?? 0 != 0)
        #expect((header["raft_term"] as? NSNumber)?.uint64Value ?? 0 >= 2)
        #expect((header["revision"] as? NSNumber)?.int64Value == (kv["mod_revision"] as? NSNumber)?.int64Value)
        #expect(kv["key"] as? String == Data("j".utf8).base64EncodedString())
    }
}
}
