import ConcordChecker
import Testing

/// Builds ZooKeeper histories event by event, with increasing times.
struct ZooKeeperScript {
    var events: [ZooKeeperHistoryEvent] = []

    mutating func add(_ process: Int, _ observation: ZooKeeperHistoryEvent.Observation) {
        events.append(ZooKeeperHistoryEvent(process: process, observation, time: Int64(events.count)))
    }

    /// A write invoked and completed at once.
    mutating func write(_ process: Int, _ call: ZooKeeperCall, zxid: Int64) {
        add(process, .invoke(call))
        add(process, .ok(zxid: zxid))
    }

    /// A read invoked and completed at once.
    mutating func read(_ process: Int, _ path: String, watch: Bool = false, zxid: Int64, _ node: ZooKeeperNodeSeen?) {
        add(process, .invoke(.read(path: path, watch: watch)))
        add(process, .read(zxid: zxid, node: node))
    }

    func check() throws -> ZooKeeperReport {
        checkZooKeeperGuarantees(try ZooKeeperHistory(events))
    }
}

@Suite("ZooKeeper guarantees checker")
struct ZooKeeperCheckerTests {
    /// A correct history: two clients, one moving between servers, with a
    /// watch, a sync and reads at different replicas' zxids.
    func correctHistory() -> ZooKeeperScript {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 10)
        script.read(2, "/a", watch: true, zxid: 10, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 10))
        script.write(1, .setData(path: "/a", value: "v2", version: 0), zxid: 12)
        // Client 2 is on a lagging replica: it may still read v1 at zxid 11...
        script.read(2, "/a", zxid: 11, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 10))
        // ...then the event arrives before anything at zxid 12 or later.
        script.add(2, .notification(path: "/a", type: .dataChanged))
        script.read(2, "/a", zxid: 12, ZooKeeperNodeSeen(value: "v2", version: 1, modifiedZxid: 12))
        script.add(2, .invoke(.sync(path: "/a")))
        script.add(2, .ok(zxid: 12))
        script.read(1, "/b", watch: true, zxid: 12, nil)
        script.write(2, .create(path: "/b", value: "b1"), zxid: 13)
        script.add(1, .notification(path: "/b", type: .created))
        script.write(1, .delete(path: "/a", version: 1), zxid: 14)
        script.read(1, "/a", zxid: 14, nil)
        script.add(2, .invoke(.create(path: "/a", value: "x")))
        script.add(2, .fail(zxid: 15))
        return script
    }

    @Test("a correct history passes every guarantee")
    func correctPasses() throws {
        let report = try correctHistory().check()
        #expect(report.holds, "\(report.violations)")
        #expect(report.operationCount == 11 && report.notificationCount == 2)
    }

    @Test("a server that lets a reconnected client read an older zxid is caught (monotonic sessions)")
    func staleReconnectCaught() throws {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        script.write(1, .setData(path: "/a", value: "v2"), zxid: 6)
        // The client reconnects to a replica at zxid 5 and is served from there.
        script.read(1, "/a", zxid: 5, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        let report = try script.check()
        #expect(report.violates(.monotonicSessions))
        #expect(!report.violates(.sequentiallyConsistentReads))
        #expect(report.violations.first { $0.guarantee == .monotonicSessions }?.operations == [1, 2])
    }

    @Test("a server that fires a watch after serving the new data is caught (watch order)")
    func lateWatchCaught() throws {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        script.read(2, "/a", watch: true, zxid: 5, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        script.write(1, .setData(path: "/a", value: "v2"), zxid: 6)
        script.read(2, "/a", zxid: 6, ZooKeeperNodeSeen(value: "v2", version: 1, modifiedZxid: 6))
        script.add(2, .notification(path: "/a", type: .dataChanged))
        let report = try script.check()
        #expect(report.violates(.watchOrder))
        #expect(report.violations.count == 1, "the late event itself is not reported again: \(report.violations)")
        // Any reply past the change counts, not only a read of the node: here a write elsewhere.
        var other = ZooKeeperScript()
        other.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        other.read(2, "/a", watch: true, zxid: 5, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        other.write(1, .delete(path: "/a"), zxid: 6)
        other.write(2, .create(path: "/b", value: "b"), zxid: 7)
        #expect(try other.check().violates(.watchOrder))
    }

    @Test("a one-shot watch that fires twice, or an event with no watch, is caught")
    func duplicateEventCaught() throws {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        script.read(2, "/a", watch: true, zxid: 5, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        script.write(1, .setData(path: "/a", value: "v2"), zxid: 6)
        script.add(2, .notification(path: "/a", type: .dataChanged))
        script.write(1, .setData(path: "/a", value: "v3"), zxid: 7)
        script.add(2, .notification(path: "/a", type: .dataChanged))
        #expect(try script.check().violates(.watchOrder))
    }

    @Test("an event of the wrong type is caught")
    func wrongEventType() throws {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        script.read(2, "/a", watch: true, zxid: 5, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        script.write(1, .delete(path: "/a"), zxid: 6)
        script.add(2, .notification(path: "/a", type: .dataChanged))
        #expect(try script.check().violates(.watchOrder))
    }

    @Test("writes whose zxids contradict real time, or that are illegal in zxid order, are caught")
    func writeOrderCaught() throws {
        var realTime = ZooKeeperScript()
        realTime.write(1, .create(path: "/a", value: "v1"), zxid: 7)
        realTime.write(2, .create(path: "/b", value: "b"), zxid: 6)
        #expect(try realTime.check().violates(.linearizableWrites))
        var illegal = ZooKeeperScript()
        illegal.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        illegal.write(2, .create(path: "/a", value: "v2"), zxid: 6)
        #expect(try illegal.check().violates(.linearizableWrites))
        var version = ZooKeeperScript()
        version.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        version.write(1, .setData(path: "/a", value: "v2", version: 3), zxid: 6)
        #expect(try version.check().violates(.linearizableWrites))
        var duplicate = ZooKeeperScript()
        duplicate.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        duplicate.write(2, .create(path: "/b", value: "v2"), zxid: 5)
        #expect(try duplicate.check().violates(.linearizableWrites))
        // Concurrent writes may take either order.
        var concurrent = ZooKeeperScript()
        concurrent.add(1, .invoke(.create(path: "/a", value: "v1")))
        concurrent.add(2, .invoke(.create(path: "/b", value: "b")))
        concurrent.add(1, .ok(zxid: 9))
        concurrent.add(2, .ok(zxid: 8))
        #expect(try concurrent.check().holds)
    }

    @Test("a read that does not show the state at its zxid is caught")
    func readsCaught() throws {
        var stale = ZooKeeperScript()
        stale.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        stale.write(1, .setData(path: "/a", value: "v2"), zxid: 6)
        stale.read(2, "/a", zxid: 7, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        #expect(try stale.check().violates(.sequentiallyConsistentReads))
        var invented = ZooKeeperScript()
        invented.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        invented.read(2, "/a", zxid: 6, ZooKeeperNodeSeen(value: "nobody wrote this", version: 3, modifiedZxid: 6))
        #expect(try invented.check().violates(.sequentiallyConsistentReads))
        var missing = ZooKeeperScript()
        missing.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        missing.read(2, "/a", zxid: 5, nil)
        #expect(try missing.check().violates(.sequentiallyConsistentReads))
        var future = ZooKeeperScript()
        future.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        future.read(2, "/a", zxid: 4, ZooKeeperNodeSeen(value: "v1", version: 0, modifiedZxid: 5))
        #expect(try future.check().violates(.sequentiallyConsistentReads))
    }

    @Test("a sync that replies behind a write completed before it began is caught")
    func syncCaught() throws {
        var script = ZooKeeperScript()
        script.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        script.add(2, .invoke(.sync(path: "/a")))
        script.add(2, .ok(zxid: 4))
        #expect(try script.check().violates(.syncThenRead))
    }

    @Test("an unknown write is pinned by the read that shows it; one nobody saw leaves its node's legality unchecked")
    func indeterminateWrites() throws {
        var pinned = ZooKeeperScript()
        pinned.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        pinned.add(2, .invoke(.setData(path: "/a", value: "v2")))
        pinned.add(2, .info)
        pinned.read(3, "/a", zxid: 9, ZooKeeperNodeSeen(value: "v2", version: 1, modifiedZxid: 8))
        #expect(try pinned.check().holds)
        var unseen = ZooKeeperScript()
        unseen.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        unseen.add(2, .invoke(.setData(path: "/a", value: "v2")))
        unseen.add(2, .info)
        unseen.write(1, .setData(path: "/a", value: "v3", version: 2), zxid: 9)
        #expect(try unseen.check().holds)
        var deleted = ZooKeeperScript()
        deleted.write(1, .create(path: "/a", value: "v1"), zxid: 5)
        deleted.add(2, .invoke(.delete(path: "/a")))
        deleted.add(2, .info)
        deleted.read(3, "/a", zxid: 9, nil)
        #expect(try deleted.check().holds)
        // An exists read shows only the stat: it cannot pin an unknown
        // create by its value, and is not judged against it...
        var statOnly = ZooKeeperScript()
        statOnly.add(2, .invoke(.create(path: "/a", value: "v1")))
        statOnly.add(2, .info)
        statOnly.read(3, "/a", watch: true, zxid: 9, ZooKeeperNodeSeen(value: nil, version: 0, modifiedZxid: 8))
        #expect(try statOnly.check().holds)
        // ...but without an unknown write, a stat nobody wrote is caught.
        var invented = ZooKeeperScript()
        invented.read(3, "/a", watch: true, zxid: 9, ZooKeeperNodeSeen(value: nil, version: 0, modifiedZxid: 8))
        #expect(try invented.check().violates(.sequentiallyConsistentReads))
    }

    @Test("histories that break the event rules are refused")
    func invalidHistories() {
        #expect(throws: ZooKeeperHistory.Invalid.self) {
            try ZooKeeperHistory([ZooKeeperHistoryEvent(process: 1, .ok(zxid: 1), time: 0)])
        }
        #expect(throws: ZooKeeperHistory.Invalid.self) {
            try ZooKeeperHistory([
                ZooKeeperHistoryEvent(process: 1, .invoke(.read(path: "/a")), time: 0),
                ZooKeeperHistoryEvent(process: 1, .ok(zxid: 1), time: 1),
            ])
        }
        #expect(throws: ZooKeeperHistory.Invalid.self) {
            try ZooKeeperHistory([
                ZooKeeperHistoryEvent(process: 1, .invoke(.sync(path: "/")), time: 0),
                ZooKeeperHistoryEvent(process: 1, .invoke(.sync(path: "/")), time: 1),
            ])
        }
        #expect(throws: ZooKeeperHistory.Invalid.self) {
            try ZooKeeperHistory([
                ZooKeeperHistoryEvent(process: 1, .invoke(.sync(path: "/")), time: 1),
                ZooKeeperHistoryEvent(process: 1, .info, time: 0),
            ])
        }
    }
}
