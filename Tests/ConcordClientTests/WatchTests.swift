import ConcordClient
import Foundation
import Testing

@Suite struct WatchTests {
    @Test func watchDeliversPutsAndDeletesInOrderWithPreviousValues() async throws {
        try await withEtcd { _, client in
            let before = try await client.put("w/a", "0")
            var options = WatchOptions()
            options.previous = true
            options.startRevision = before.revision + 1
            let events = client.watch(.prefix("w/"), options: options)
            try await client.put("w/a", "1")
            try await client.put("w/b", "2")
            try await client.put("outside", "x")
            try await client.delete(.key("w/a"))
            let seen = try await collect(events, count: 3)
            #expect(seen.map(\.kind) == [.put, .put, .delete])
            #expect(seen.map(\.kv.key) == ["w/a", "w/b", "w/a"])
            #expect(seen[0].previous?.stringValue == "0")
            #expect(seen[2].previous?.stringValue == "1")
            #expect(seen.map(\.revision) == seen.map(\.revision).sorted())
        }
    }

    @Test func watchFromAnOldRevisionReplaysHistoryAndACompactedOneFails() async throws {
        try await withEtcd { _, client in
            var revisions: [Int64] = []
            for i in 0..<5 { revisions.append(try await client.put("h/k", "\(i)").revision) }
            var options = WatchOptions()
            options.startRevision = revisions[1]
            let replay = try await collect(client.watch(.key("h/k"), options: options), count: 4)
            #expect(replay.map(\.kv.stringValue) == ["1", "2", "3", "4"])

            try await client.compact(revisions[3])
            options.startRevision = revisions[0]
            do {
                _ = try await collect(client.watch(.key("h/k"), options: options), count: 1)
                Issue.record("watch at a compacted revision delivered events")
            } catch let error as ConcordClientError {
                #expect(error == .watchCompacted(compactRevision: revisions[3]))
            }
        }
    }

    /// The watcher's server is killed with SIGKILL and restarted on the same
    /// data directory mid-stream; the watch resumes from its last revision + 1.
    @Test func watchResumesAcrossAnEtcdRestartSeeingEveryEventExactlyOnce() async throws {
        try await withEtcd { etcd, client in
            let start = try await client.put("restart/marker", "start")
            var options = WatchOptions()
            options.startRevision = start.revision + 1
            let events = client.watch(.prefix("restart/k"), options: options)
            let collector = Task { try await collect(events, count: 40, within: .seconds(40)) }
            for i in 0..<20 { try await client.put("restart/k\(i)", "\(i)") }
            etcd.kill()
            try etcd.start()
            try await EtcdProcess.waitReady(client)
            for i in 20..<40 { try await client.put("restart/k\(i)", "\(i)") }
            let seen = try await collector.value
            #expect(seen.map(\.kv.key) == (0..<40).map { "restart/k\($0)" })
            #expect(Set(seen.map(\.revision)).count == 40)
            #expect(seen.map(\.revision) == seen.map(\.revision).sorted())

            // The same history read back from the server in one watch matches.
            let history = try await collect(client.watch(.prefix("restart/k"), options: options), count: 40)
            #expect(history == seen)
        }
    }
}
