import ConcordKV
import Testing

@Suite("Watch")
struct WatchHubTests {
    @Test("a watcher is created, then sees the puts and deletes of its key only, in order")
    func singleKey() throws {
        var driver = WatchDriver()
        #expect(driver.watch(WatchCreateRequest(key: bytes("a"))) == .success(0))
        try driver.put("a", "1")
        try driver.put("b", "1")
        try driver.delete("a")
        let responses = driver.take()
        #expect(responses.first == WatchResponse(revision: 1, watchID: 0, created: true))
        #expect(describe(events(of: responses, watchID: 0)) == ["PUT a=1@2", "DELETE a@4"])
        #expect(responses.last?.revision == 4)
    }

    @Test("range and prefix watchers select [key, rangeEnd) and every key from key on with [0]")
    func rangesAndPrefixes() throws {
        var driver = WatchDriver()
        let range = try driver.watch(WatchCreateRequest(key: bytes("b"), rangeEnd: bytes("d"))).get()
        let prefix = try driver.watch(WatchCreateRequest(key: bytes("ab"), rangeEnd: RangeRequest.prefixEnd(bytes("ab")))).get()
        let fromKey = try driver.watch(WatchCreateRequest(key: bytes("c"), rangeEnd: [0])).get()
        for key in ["a", "ab", "abc", "b", "c", "d", "zz"] { try driver.put(key, "v") }
        let responses = driver.take()
        #expect(describe(events(of: responses, watchID: range)) == ["PUT b=v@5", "PUT c=v@6"])
        #expect(describe(events(of: responses, watchID: prefix)) == ["PUT ab=v@3", "PUT abc=v@4"])
        #expect(describe(events(of: responses, watchID: fromKey)) == ["PUT c=v@6", "PUT d=v@7", "PUT zz=v@8"])
    }

    @Test("an empty key watches from the smallest key; a range ending before its start is refused")
    func emptyKeyAndEmptyRange() throws {
        var driver = WatchDriver()
        let all = try driver.watch(WatchCreateRequest(key: [], rangeEnd: [0])).get()
        #expect(driver.watch(WatchCreateRequest(key: bytes("b"), rangeEnd: bytes("a"))) == .failure(.emptyRange))
        try driver.put("a", "1")
        let responses = driver.take()
        #expect(responses.contains(WatchResponse(revision: 1, watchID: -1, created: true, canceled: true, cancelReason: "mvcc: watcher range is empty")))
        #expect(describe(events(of: responses, watchID: all)) == ["PUT a=1@2"])
        #expect(driver.hub.watchIDs(stream: 1) == [all])
    }

    @Test("a start revision in the past replays history, with prev_kv when asked")
    func startRevisionReplaysHistory() throws {
        var driver = WatchDriver()
        try driver.put("a", "1")
        try driver.put("a", "2")
        try driver.delete("a")
        try driver.put("a", "3")
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 3, prevKV: true)).get()
        #expect(driver.hub.isSynced(stream: 1, watchID: id) == false)
        try driver.put("a", "4")
        let events = events(of: driver.drain(), watchID: id)
        #expect(describe(events) == ["PUT a=2@3", "DELETE a@4", "PUT a=3@5", "PUT a=4@6"])
        #expect(events.map { $0.prevKV.map { String(decoding: $0.value, as: UTF8.self) } } == ["1", "2", nil, "3"])
        #expect(events[0].kv.version == 2 && events[2].kv.createRevision == 5)
        #expect(driver.hub.isSynced(stream: 1, watchID: id) == true)
    }

    @Test("without prev_kv, events carry no previous value")
    func noPrevKV() throws {
        var driver = WatchDriver()
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        try driver.put("a", "1")
        try driver.put("a", "2")
        #expect(events(of: driver.take(), watchID: id).allSatisfy { $0.prevKV == nil })
    }

    @Test("a future start revision waits for it")
    func futureStartRevision() throws {
        var driver = WatchDriver()
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 4)).get()
        for value in ["1", "2", "3", "4"] { try driver.put("a", value) }
        #expect(describe(events(of: driver.take(), watchID: id)) == ["PUT a=3@4", "PUT a=4@5"])
    }

    @Test("a start revision at or below the compacted revision cancels the watcher with compact_revision")
    func compactedStartRevision() throws {
        var driver = WatchDriver()
        for value in ["1", "2", "3", "4"] { try driver.put("a", value) }
        try driver.compact(3)
        let below = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 2)).get()
        let at = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 3)).get()
        let after = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 4)).get()
        let responses = driver.drain()
        // Each is told the first revision it may resume from; resuming there works.
        for id in [below, at] {
            #expect(responses.contains(WatchResponse(revision: 5, watchID: id, canceled: true, compactRevision: 4, cancelReason: "etcdserver: mvcc: required revision has been compacted")))
        }
        let resumed = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 4)).get()
        #expect(describe(events(of: driver.drain(), watchID: resumed)) == ["PUT a=3@4", "PUT a=4@5"])
        #expect(describe(events(of: responses, watchID: after)) == ["PUT a=3@4", "PUT a=4@5"])
        #expect(driver.hub.watchIDs(stream: 1) == [after, resumed])
    }

    @Test("an unsynced watcher whose history is compacted before it catches up is cancelled as compacted")
    func compactedWhileCatchingUp() throws {
        var driver = WatchDriver()
        for value in ["1", "2", "3"] { try driver.put("a", value) }
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 2)).get()
        try driver.compact(3)
        let responses = driver.drain()
        #expect(responses.last == WatchResponse(revision: 4, watchID: id, canceled: true, compactRevision: 4, cancelReason: KVError.compacted.message))
        #expect(events(of: responses, watchID: id).isEmpty)
    }

    @Test("NOPUT and NODELETE filters drop puts and deletes")
    func filters() throws {
        var driver = WatchDriver()
        let noPut = try driver.watch(WatchCreateRequest(key: bytes("a"), noPut: true)).get()
        let noDelete = try driver.watch(WatchCreateRequest(key: bytes("a"), noDelete: true)).get()
        try driver.put("a", "1")
        try driver.delete("a")
        let responses = driver.take()
        #expect(describe(events(of: responses, watchID: noPut)) == ["DELETE a@3"])
        #expect(describe(events(of: responses, watchID: noDelete)) == ["PUT a=1@2"])
    }

    @Test("watch IDs: assigned from 0 skipping taken ones, client-chosen honoured, duplicates refused with -1")
    func watchIDs() throws {
        var driver = WatchDriver()
        #expect(driver.watch(WatchCreateRequest(key: bytes("a"), watchID: 1)) == .success(1))
        #expect(driver.watch(WatchCreateRequest(key: bytes("a"))) == .success(0))
        #expect(driver.watch(WatchCreateRequest(key: bytes("a"))) == .success(2))
        #expect(driver.watch(WatchCreateRequest(key: bytes("a"), watchID: 2)) == .failure(.duplicateWatchID))
        #expect(driver.watch(WatchCreateRequest(key: bytes("a")), stream: 2) == .success(0))
        let responses = driver.take()
        #expect(responses.last == WatchResponse(revision: 1, watchID: -1, created: true, canceled: true, cancelReason: "mvcc: duplicate watch ID provided on the WatchStream"))
        #expect(driver.hub.watchIDs(stream: 1) == [0, 1, 2])
        #expect(driver.hub.watchIDs(stream: 2) == [0])
    }

    @Test("cancel answers canceled, drops queued events, and stops later ones; an unknown ID is ignored")
    func cancel() throws {
        var driver = WatchDriver()
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        _ = driver.take()
        try driver.put("a", "1")
        let cancelled = driver.hub.onCancel(stream: 1, watchID: id)
        let unknown = driver.hub.onCancel(stream: 1, watchID: 77)
        #expect(cancelled && !unknown)
        try driver.put("a", "2")
        #expect(driver.take() == [WatchResponse(revision: 2, watchID: id, canceled: true)])
        #expect(driver.hub.watchIDs(stream: 1).isEmpty)
    }

    @Test("a progress request is answered at once with watch ID -1 and the current revision when all watchers are synced")
    func progressRequestWhenSynced() throws {
        var driver = WatchDriver()
        _ = driver.watch(WatchCreateRequest(key: bytes("a")))
        try driver.put("b", "1")
        driver.hub.onProgressRequest(stream: 1)
        #expect(driver.take().last == WatchResponse(revision: 2, watchID: -1))
    }

    @Test("a progress request waits until a catching-up watcher has queued everything up to its revision")
    func progressRequestWaitsForCatchUp() throws {
        var driver = WatchDriver(limits: WatchLimits(pendingEventsMax: 2))
        for value in ["1", "2", "3", "4", "5"] { try driver.put("a", value) }
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 2)).get()
        driver.hub.onProgressRequest(stream: 1)
        var responses = driver.take(max: 1)
        #expect(!responses.contains { $0.watchID == -1 })
        responses += driver.drain()
        let progress = try #require(responses.firstIndex { $0.watchID == -1 })
        #expect(responses[progress].revision == 6)
        #expect(describe(events(of: Array(responses[..<progress]), watchID: id)).count == 5)
    }

    @Test("periodic progress notifications go to synced watchers that asked, every interval of ticks")
    func periodicProgress() throws {
        var driver = WatchDriver(limits: WatchLimits(progressIntervalTicks: 3))
        let asked = try driver.watch(WatchCreateRequest(key: bytes("a"), progressNotify: true)).get()
        driver.watch(WatchCreateRequest(key: bytes("a")))
        _ = driver.take()
        try driver.put("b", "1")
        driver.hub.onTick()
        driver.hub.onTick()
        #expect(driver.take().isEmpty)
        driver.hub.onTick()
        let responses = driver.take()
        #expect(responses == [WatchResponse(revision: 2, watchID: asked)])
        #expect(responses[0].isProgressNotification)
    }

    @Test("fragmenting splits a large batch under the byte limit; without the flag it stays whole")
    func fragments() throws {
        var driver = WatchDriver(limits: WatchLimits(responseBytesMax: 300))
        let value = String(repeating: "x", count: 100)
        for key in ["a", "b", "c", "d", "e"] { try driver.put(key, value) }
        let fragmented = try driver.watch(WatchCreateRequest(key: bytes("a"), rangeEnd: [0], startRevision: 1, fragment: true)).get()
        let whole = try driver.watch(WatchCreateRequest(key: bytes("a"), rangeEnd: [0], startRevision: 1)).get()
        let responses = driver.drain()
        let pieces = responses.filter { $0.watchID == fragmented && !$0.events.isEmpty }
        #expect(pieces.count == 3)
        #expect(pieces.dropLast().allSatisfy(\.fragment) && !pieces.last!.fragment)
        #expect(pieces.allSatisfy { $0.events.map(\.estimatedBytes).reduce(0, +) <= 300 })
        #expect(describe(pieces.flatMap(\.events)) == describe(events(of: responses, watchID: whole)))
        #expect(responses.filter { $0.watchID == whole && !$0.events.isEmpty }.count == 1)
    }

    @Test("a slow watcher falls back to history instead of dropping events, then syncs again")
    func slowWatcherCatchesUp() throws {
        var driver = WatchDriver(limits: WatchLimits(pendingEventsMax: 3))
        let id = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        for index in 1...10 { try driver.put("a", "\(index)") }
        #expect(driver.hub.isSynced(stream: 1, watchID: id) == false)
        var received: [WatchEvent] = []
        for _ in 0..<20 {
            received += events(of: driver.take(max: 1), watchID: id)
            try driver.put("b", "noise")
        }
        received += events(of: driver.drain(), watchID: id)
        #expect(received.map(\.revision) == Array(2...11))
        #expect(driver.hub.isSynced(stream: 1, watchID: id) == true)
        try driver.put("a", "last")
        #expect(describe(events(of: driver.take(), watchID: id)) == ["PUT a=last@32"])
    }

    @Test("a transaction's changes arrive as one revision in sub-revision order")
    func transactionOrder() throws {
        var driver = WatchDriver()
        try driver.put("c", "0")
        _ = try driver.watch(WatchCreateRequest(key: bytes("a"), rangeEnd: [0])).get()
        let txn = TxnRequest(success: [
            .put(PutRequest(key: bytes("b"), value: bytes("1"))), .deleteRange(DeleteRangeRequest(key: bytes("c"))),
            .put(PutRequest(key: bytes("a"), value: bytes("1"))),
        ])
        try driver.apply(.kv(.txn(txn)))
        let responses = driver.take().filter { !$0.events.isEmpty }
        #expect(responses.count == 1)
        #expect(describe(responses[0].events) == ["PUT b=1@3", "DELETE c@3", "PUT a=1@3"])
        #expect(responses[0].events.map(\.subRevision) == [0, 1, 2])
    }

    @Test("after a snapshot install, watchers catch up from the restored store's history")
    func restoredFromSnapshot() throws {
        var leader = WatchDriver()
        var follower = WatchDriver()
        try leader.put("a", "1")
        try follower.put("a", "1")
        let id = try follower.watch(WatchCreateRequest(key: bytes("a"))).get()
        _ = follower.take()
        try leader.put("a", "2")
        try leader.put("a", "3")
        follower.machine = try KVStateMachine(snapshot: leader.machine.snapshot())
        follower.hub.onRestored(store: follower.store)
        #expect(describe(events(of: follower.drain(), watchID: id)) == ["PUT a=2@3", "PUT a=3@4"])
    }

    @Test("watchers on different streams are independent; closing a stream forgets its watchers")
    func streams() throws {
        var driver = WatchDriver()
        let first = try driver.watch(WatchCreateRequest(key: bytes("a")), stream: 1).get()
        #expect(driver.watch(WatchCreateRequest(key: bytes("a")), stream: 2) == .success(0))
        try driver.put("a", "1")
        #expect(events(of: driver.take(stream: 1), watchID: first).count == 1)
        driver.hub.onStreamClosed(stream: 2)
        #expect(driver.take(stream: 2).isEmpty && driver.hub.watchIDs(stream: 2).isEmpty)
    }

    @Test("a stream at its watcher limit refuses one more create with a reason, and changes nothing else")
    func watchersPerStreamLimit() throws {
        var driver = WatchDriver(limits: WatchLimits(watchersPerStreamMax: 2))
        let first = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        let second = try driver.watch(WatchCreateRequest(key: bytes("b"))).get()
        _ = driver.take()
        let refused = driver.watch(WatchCreateRequest(key: bytes("c")))
        #expect(refused == .failure(.tooManyWatchers(max: 2)))
        let elsewhere = driver.watch(WatchCreateRequest(key: bytes("c")), stream: 2)
        #expect(elsewhere == .success(0))
        try driver.put("a", "1")
        try driver.put("c", "1")
        let responses = driver.take()
        #expect(
            responses.first
                == WatchResponse(
                    revision: 1, watchID: -1, created: true, canceled: true,
                    cancelReason: "concord: too many watchers on this watch stream (at most 2)"))
        #expect(driver.hub.watchIDs(stream: 1) == [first, second])
        #expect(describe(events(of: responses, watchID: first)) == ["PUT a=1@2"])
        #expect(!responses.contains { $0.events.contains { $0.kv.key == bytes("c") } })
        let cancelled = driver.hub.onCancel(stream: 1, watchID: second)
        #expect(cancelled)
        let third = driver.watch(WatchCreateRequest(key: bytes("c")))
        #expect(third == .success(second + 1))
    }

    @Test("a watcher whose consumer lags beyond the limit is cancelled with the revision to resume from; its queued events come first")
    func slowWatcherCancelled() throws {
        var driver = WatchDriver(limits: WatchLimits(pendingEventsMax: 2, slowWatcherRevisionsMax: 5))
        let slow = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        let other = try driver.watch(WatchCreateRequest(key: bytes("b"))).get()
        _ = driver.take()
        for index in 1...7 { try driver.put("a", "\(index)") }
        // Revisions 2 and 3 are queued; 4 on are not. After revision 8, 5
        // revisions (4...8) wait: still within the limit.
        #expect(driver.hub.isSynced(stream: 1, watchID: slow) == false)
        #expect(driver.hub.watchIDs(stream: 1) == [slow, other])
        try driver.put("b", "1")
        #expect(driver.hub.watchIDs(stream: 1) == [other])
        let responses = driver.take()
        #expect(describe(events(of: responses, watchID: slow)) == ["PUT a=1@2", "PUT a=2@3"])
        let cancel = try #require(responses.first { $0.canceled })
        #expect(
            cancel
                == WatchResponse(
                    revision: 9, watchID: slow, canceled: true,
                    cancelReason: "concord: watcher canceled: its consumer fell more than 5 revisions behind; watch again from revision 4"))
        #expect(responses.firstIndex { $0.canceled }! > responses.lastIndex { $0.watchID == slow && !$0.events.isEmpty }!)
        #expect(describe(events(of: responses, watchID: other)) == ["PUT b=1@9"])
        try driver.put("a", "8")
        #expect(events(of: driver.drain(), watchID: slow).isEmpty)
    }

    @Test("a slow watcher that keeps up within the limit is never cancelled; one started in the past is not counted until it syncs")
    func slowWatcherWithinLimit() throws {
        var driver = WatchDriver(limits: WatchLimits(pendingEventsMax: 2, slowWatcherRevisionsMax: 5))
        for index in 1...20 { try driver.put("a", "\(index)") }
        let replay = try driver.watch(WatchCreateRequest(key: bytes("a"), startRevision: 2)).get()
        let live = try driver.watch(WatchCreateRequest(key: bytes("a"))).get()
        var received: [Int64: [Int64]] = [:]
        for index in 21...40 {
            try driver.put("a", "\(index)")
            for response in driver.take(max: 2) where !response.events.isEmpty {
                received[response.watchID, default: []] += response.events.map(\.revision)
            }
        }
        for response in driver.drain() where !response.events.isEmpty {
            received[response.watchID, default: []] += response.events.map(\.revision)
        }
        #expect(driver.hub.watchIDs(stream: 1) == [replay, live])
        #expect(received[replay] == Array(2...41))
        #expect(received[live] == Array(22...41))
    }
}
