@testable import ConcordKV
import PropertyBased
import Testing

/// The events a command sequence must produce, computed from a plain
/// dictionary with no history: what every watcher is checked against.
struct WatchModel {
    struct Pair: Equatable {
        var createRevision: Int64
        var version: Int64
        var value: String
    }

    struct Event: Equatable, CustomStringConvertible {
        var isPut: Bool
        var key: String
        var value: String
        var revision: Int64
        var version: Int64
        var createRevision: Int64
        var previousValue: String?

        var description: String { "\(isPut ? "PUT" : "DELETE") \(key)=\(value)@\(revision) v\(version) c\(createRevision) prev \(previousValue ?? "-")" }
    }

    var state: [String: Pair] = [:]
    var current: Int64 = 1
    var compacted: Int64 = 0
    var events: [Event] = []

    /// Applies one transaction's changes (nil value: delete).
    mutating func commit(_ changes: [(key: String, value: String?)]) {
        let revision = current + 1
        var made: [Event] = []
        for (key, value) in changes {
            let previous = state[key]
            if let value {
                let pair = Pair(createRevision: previous?.createRevision ?? revision, version: (previous?.version ?? 0) + 1, value: value)
                state[key] = pair
                made.append(Event(isPut: true, key: key, value: value, revision: revision, version: pair.version, createRevision: pair.createRevision, previousValue: previous?.value))
            } else if let previous {
                state[key] = nil
                made.append(Event(isPut: false, key: key, value: "", revision: revision, version: 0, createRevision: 0, previousValue: previous.value))
            }
        }
        if !made.isEmpty {
            current = revision
            events += made
        }
    }

    static func event(_ event: WatchEvent) -> Event {
        Event(
            isPut: event.kind == .put, key: String(decoding: event.kv.key, as: UTF8.self), value: String(decoding: event.kv.value, as: UTF8.self),
            revision: event.revision, version: event.kv.version, createRevision: event.kv.createRevision,
            previousValue: event.prevKV.map { String(decoding: $0.value, as: UTF8.self) })
    }
}

@Suite("Watch against a model")
struct WatchPropertyTests {
    static let keyNames = ["a", "ab", "b", "c", "d"]

    /// Steps: (kind, first, second, number); then the pending limit and the
    /// fragment byte limit.
    static let input = zip(
        zip(Gen.int(in: 0...11), Gen.int(in: 0...4), Gen.int(in: 0...4), Gen.int(in: 0...40)).array(of: 0...60),
        Gen.int(in: 1...4), Gen.int(in: 40...400))

    struct Watched {
        var stream: Int64
        var id: Int64
        var request: WatchCreateRequest
        var start: Int64
    }

    typealias Step = (Int, Int, Int, Int)

    /// 200 cases of up to 60 steps cost about 0.1 s in a debug build
    /// (about 0.4 ms a case). Run with the whole suite, its reported
    /// duration spans most of the run: the property check suspends between
    /// cases and waits for the other tests, as every async test here does;
    /// leaving it out does not shorten the run.
    @Test("every watcher gets exactly its range's events from its start revision, in order, under slow consumers, fragments and compaction")
    func watchersMatchModel() async {
        await propertyCheck(count: 200, input: Self.input) { steps, pendingMax, bytesMax in
            let violations = Self.violations(steps: steps, pendingMax: pendingMax, bytesMax: bytesMax, bug: nil)
            #expect(violations.isEmpty, "\(violations.prefix(3))")
        }
    }

    @Test("a fragmenting watcher cancelled as compacted during catch-up still gets its queued events fragmented")
    func compactedFragmentingWatcherKeepsFragments() {
        // Shrunk from a property-test failure: the watcher queues revisions
        // 4 and 5, overflows at 6 and becomes unsynced, then revision 6 is
        // compacted; catch-up cancels it while revision 5's two events
        // (over 40 bytes together) are still queued.
        let steps: [Step] = [(0, 0, 0, 0), (6, 0, 0, 31), (0, 2, 0, 0), (0, 0, 0, 0), (4, 1, 0, 0), (3, 0, 0, 0), (5, 0, 0, 5)]
        let violations = Self.violations(steps: steps, pendingMax: 4, bytesMax: 40, bug: nil)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test("the property test catches a hub that drops a slow watcher's events, and one whose catch-up skips a revision", arguments: WatchHub.Bug.allCases)
    func catchesBugs(_ bug: WatchHub.Bug) {
        var generator = SplitMix(seed: 42)
        var caught = 0
        for _ in 0..<200 {
            let steps: [Step] = (0..<60).map { _ in
                (Int.random(in: 0...11, using: &generator), Int.random(in: 0...4, using: &generator),
                 Int.random(in: 0...4, using: &generator), Int.random(in: 0...40, using: &generator))
            }
            if !Self.violations(steps: steps, pendingMax: 1 + Int(generator.next() % 4), bytesMax: 200, bug: bug).isEmpty {
                caught += 1
            }
        }
        #expect(caught >= 20, "caught in \(caught) of 200 runs")
    }

    /// Runs the steps against the hub and the model and lists every way a
    /// watcher's responses differ from what the model says it must get.
    static func violations(steps: [Step], pendingMax: Int, bytesMax: Int, bug: WatchHub.Bug?) -> [String] {
            var driver = WatchDriver(limits: WatchLimits(pendingEventsMax: pendingMax, responseBytesMax: bytesMax))
            driver.hub.bug = bug
            var model = WatchModel()
            var watched: [Watched] = []
            var responses: [Int64: [WatchResponse]] = [0: [], 1: []]
            var problems: [String] = []
            for (kind, first, second, number) in steps {
                let key = Self.keyNames[first]
                let other = Self.keyNames[second]
                switch kind {
                case 0, 1:
                    try? driver.put(key, "v\(number)")
                    model.commit([(key, "v\(number)")])
                case 2:
                    try? driver.delete(key)
                    model.commit([(key, nil)])
                case 3:
                    let end = first < second ? other : "\u{0}"
                    _ = try? driver.apply(.kv(.deleteRange(DeleteRangeRequest(key: bytes(key), rangeEnd: first < second ? bytes(other) : [0]))))
                    model.commit(model.state.keys.sorted().filter { $0 >= key && (end == "\u{0}" || $0 < end) }.map { ($0, nil) })
                case 4:
                    let deleted = Self.keyNames[(first + 1) % Self.keyNames.count]
                    let expected = Int64(number % 3)
                    let txn = TxnRequest(
                        compare: [Compare(key: bytes(key), target: .version(expected), result: .equal)],
                        success: [.put(PutRequest(key: bytes(key), value: bytes("t\(number)"))), .deleteRange(DeleteRangeRequest(key: bytes(deleted)))],
                        failure: [.put(PutRequest(key: bytes(other), value: bytes("f\(number)")))])
                    if (try? driver.apply(.kv(.txn(txn)))) == nil { problems.append("a transaction failed") }
                    if (model.state[key]?.version ?? 0) == expected {
                        model.commit([(key, "t\(number)"), (deleted, nil)])
                    } else {
                        model.commit([(other, "f\(number)")])
                    }
                case 5:
                    guard model.current > model.compacted else { break }
                    let revision = model.compacted + 1 + Int64(number) % (model.current - model.compacted)
                    if (try? driver.compact(revision)) == nil { problems.append("a compaction failed") }
                    model.compacted = revision
                case 6, 7, 8:
                    let stream = Int64(first % 2)
                    var request: WatchCreateRequest
                    switch number % 4 {
                    case 0: request = WatchCreateRequest(key: bytes(key))
                    case 1: request = WatchCreateRequest(key: bytes(min(key, other)), rangeEnd: key == other ? [] : bytes(max(key, other)))
                    case 2: request = WatchCreateRequest(key: bytes(key), rangeEnd: RangeRequest.prefixEnd(bytes(key)))
                    default: request = WatchCreateRequest(key: [], rangeEnd: [0])
                    }
                    request.startRevision = number % 3 == 0 ? 0 : 1 + Int64(number) % (model.current + 2)
                    request.noPut = second == 1
                    request.noDelete = second == 2
                    request.prevKV = number % 2 == 0
                    request.fragment = first < 3
                    guard case .success(let id) = driver.watch(request, stream: stream) else {
                        problems.append("a valid watch was refused")
                        continue
                    }
                    let start = request.startRevision == 0 ? model.current + 1 : request.startRevision
                    watched.append(Watched(stream: stream, id: id, request: request, start: start))
                case 9, 10:
                    let stream = Int64(first % 2)
                    responses[stream]! += driver.take(stream: stream, max: second)
                default:
                    driver.hub.onProgressRequest(stream: Int64(first % 2))
                }
            }
            for stream: Int64 in [0, 1] { responses[stream]! += driver.drain(stream: stream) }

            for watcher in watched {
                let mine = responses[watcher.stream]!.filter { $0.watchID == watcher.id }
                let received = mine.flatMap(\.events).map(WatchModel.event)
                let expected = Self.expected(model, for: watcher)
                if let cancel = mine.first(where: \.canceled) {
                    if cancel.compactRevision <= 0 { problems.append("watcher \(watcher.id) cancelled without compaction") }
                    if Array(expected.prefix(received.count)) != received {
                        problems.append("compacted watcher \(watcher.id) got \(received), not a prefix of \(expected)")
                    }
                } else if received != expected {
                    problems.append("watcher \(watcher.id) on stream \(watcher.stream) got \(received), expected \(expected)")
                }
                for response in mine where response.events.count > 1 && watcher.request.fragment {
                    if response.events.map(\.estimatedBytes).reduce(0, +) > bytesMax { problems.append("a fragment over the byte limit") }
                }
                if !watcher.request.fragment && mine.contains(where: \.fragment) { problems.append("a fragment without the flag") }
            }
            problems += Self.progressViolations(responses, watched: watched, model: model)
            return problems
    }


    static func expected(_ model: WatchModel, for watcher: Watched) -> [WatchModel.Event] {
        model.events.filter { event in
            event.revision >= watcher.start && watcher.request.selects(bytes(event.key))
                && !(watcher.request.noPut && event.isPut) && !(watcher.request.noDelete && !event.isPut)
        }.map { event in
            var event = event
            if !watcher.request.prevKV { event.previousValue = nil }
            return event
        }
    }

    /// A stream-wide progress notification at revision R promises that
    /// every watcher of the stream created before it already received all
    /// its events up to R.
    static func progressViolations(_ responses: [Int64: [WatchResponse]], watched: [Watched], model: WatchModel) -> [String] {
        var problems: [String] = []
        for (stream, list) in responses {
            for (position, response) in list.enumerated() where response.watchID == -1 && !response.created {
                let before = list[..<position]
                for watcher in watched where watcher.stream == stream {
                    guard before.contains(where: { $0.watchID == watcher.id && $0.created }),
                        !before.contains(where: { $0.watchID == watcher.id && $0.canceled })
                    else { continue }
                    let received = before.filter { $0.watchID == watcher.id }.flatMap(\.events).map(WatchModel.event)
                    let due = expected(model, for: watcher).filter { $0.revision <= response.revision }
                    if received != due {
                        problems.append("progress at \(response.revision) on stream \(stream) came before watcher \(watcher.id) had its events")
                    }
                }
            }
        }
        return problems
    }
}
