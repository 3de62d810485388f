import PropertyBased
import Testing
import ConcordKV

/// A deliberately naive model of the store: the whole key-value map at
/// every revision, as a dictionary per revision.
struct MVCCModel {
    struct Pair: Equatable {
        var createRevision: Int64
        var modRevision: Int64
        var version: Int64
        var value: String
    }

    var states: [Int64: [String: Pair]] = [1: [:]]
    var current: Int64 = 1
    var compacted: Int64 = 0

    var now: [String: Pair] { states[current]! }

    static func selects(_ key: String, from start: String, to end: String?) -> Bool {
        guard let end else { return key == start }
        return key >= start && (end == "\u{0}" || key < end)
    }

    /// Commits a new revision made of these changes (nil value: delete),
    /// if any of them changes something.
    mutating func commit(_ changes: [(key: String, value: String?)]) {
        var next = now
        var changed = false
        let revision = current + 1
        for (key, value) in changes {
            if let value {
                let old = next[key]
                next[key] = Pair(
                    createRevision: old?.createRevision ?? revision, modRevision: revision,
                    version: (old?.version ?? 0) + 1, value: value)
                changed = true
            } else if next.removeValue(forKey: key) != nil {
                changed = true
            }
        }
        if changed {
            current = revision
            states[revision] = next
        }
    }

    func read(from start: String, to end: String?, revision: Int64) -> Result<[String: Pair], KVError> {
        if revision > current { return .failure(.futureRevision) }
        let at = revision <= 0 ? current : revision
        if at < compacted { return .failure(.compacted) }
        return .success(states[at]!.filter { Self.selects($0.key, from: start, to: end) })
    }
}

@Suite("Store against a model")
struct MVCCModelTests {
    static let keyNames = ["a", "b", "c", "d", "e"]

    /// Steps: (kind, key, other key or value, revision choice).
    static let steps = zip(Gen.int(in: 0...9), Gen.int(in: 0...4), Gen.int(in: 0...4), Gen.int(in: 0...40)).array(of: 0...50)

    @Test("random puts, deletes, transactions and compactions read like the model at every revision")
    func againstModel() async {
        await propertyCheck(count: 150, input: Self.steps) { steps in
            var store = MVCCStore()
            var model = MVCCModel()
            for (kind, first, second, choice) in steps {
                let key = Self.keyNames[first]
                let other = Self.keyNames[second]
                let value = "v\(choice)"
                switch kind {
                case 0, 1, 2:
                    _ = try? store.apply(.put(PutRequest(key: bytes(key), value: bytes(value))))
                    model.commit([(key, value)])
                case 3:
                    let end = max(key, other) + "\u{0}"
                    _ = try? store.apply(.deleteRange(DeleteRangeRequest(key: bytes(min(key, other)), rangeEnd: bytes(end))))
                    let doomed = model.now.keys.filter { MVCCModel.selects($0, from: min(key, other), to: end) }
                    model.commit(doomed.map { ($0, nil) })
                case 4:
                    // A compare-and-swap: if key has value, put other; else delete key and put other elsewhere.
                    let holds = model.now[key]?.value == value
                    let request = TxnRequest(
                        compare: [Compare(key: bytes(key), target: .value(bytes(value)), result: .equal)],
                        success: [.put(PutRequest(key: bytes(other), value: bytes("t\(choice)")))],
                        failure: [.deleteRange(DeleteRangeRequest(key: bytes(key))), .range(RangeRequest(key: bytes(other)))])
                    let response = try? store.apply(.txn(request))
                    if case .txn(let txn)? = response { #expect(txn.succeeded == holds) } else { Issue.record("txn refused") }
                    model.commit(holds ? [(other, "t\(choice)")] : [(key, nil)])
                case 5:
                    // Create other only if absent, and in a nested
                    // transaction put or delete key+"x" depending on key,
                    // as it was before the outer transaction.
                    let absent = model.now[other] == nil
                    let keyExisted = model.now[key] != nil
                    let nested = TxnRequest(
                        compare: [Compare(key: bytes(key), target: .version(0), result: .greater)],
                        success: [.put(PutRequest(key: bytes(key + "x"), value: bytes(value)))],
                        failure: [.deleteRange(DeleteRangeRequest(key: bytes(key + "x")))])
                    let request = TxnRequest(
                        compare: [Compare(key: bytes(other), target: .version(0), result: .equal)],
                        success: [.put(PutRequest(key: bytes(other), value: bytes(value))), .txn(nested)])
                    #expect((try? store.apply(.txn(request))) != nil)
                    if absent { model.commit([(other, value), (key + "x", keyExisted ? value : nil)]) }
                case 6:
                    let revision = Int64(choice) % (model.current + 2)
                    let result = kvError { try store.apply(.compact(CompactionRequest(revision: revision))) }
                    if revision <= model.compacted {
                        #expect(result == .compacted)
                    } else if revision > model.current {
                        #expect(result == .futureRevision)
                    } else {
                        #expect(result == nil)
                        model.compacted = revision
                    }
                default:
                    let revision = Int64(choice) % (model.current + 2)
                    let end: String? = kind == 7 ? nil : (kind == 8 ? "\u{0}" : max(key, other) + "z")
                    let start = kind == 7 ? key : min(key, other)
                    let limit = Int64(choice % 4)
                    let request = RangeRequest(key: bytes(start), rangeEnd: end.map(bytes) ?? [], limit: limit, revision: revision)
                    Self.check(store, request, against: model.read(from: start, to: end, revision: revision))
                }
                #expect(store.currentRevision == model.current)
                #expect(store.compactedRevision == model.compacted)
            }
            // Finally every readable revision, all keys, matches.
            for revision in max(model.compacted, 1)...model.current {
                let request = RangeRequest(key: [0], rangeEnd: [0], revision: revision)
                Self.check(store, request, against: model.read(from: "\u{0}", to: "\u{0}", revision: revision))
            }
            #expect((try? MVCCStore(snapshot: store.snapshot())) == store)
        }
    }

    static func check(_ store: MVCCStore, _ request: RangeRequest, against expected: Result<[String: MVCCModel.Pair], KVError>) {
        let actual: Result<RangeResponse, KVError>
        do {
            actual = .success(try store.range(request))
        } catch {
            actual = .failure(error)
        }
        switch (actual, expected) {
        case (.success(let response), .success(let pairs)):
            let limited = request.limit > 0 && pairs.count > request.limit
            let expectedKeys = pairs.keys.sorted().prefix(limited ? Int(request.limit) : pairs.count)
            #expect(keys(response.kvs) == Array(expectedKeys))
            #expect(response.count == Int64(pairs.count))
            #expect(response.more == limited)
            for pair in response.kvs {
                let model = pairs[String(decoding: pair.key, as: UTF8.self)]
                #expect(model == MVCCModel.Pair(
                    createRevision: pair.createRevision, modRevision: pair.modRevision, version: pair.version,
                    value: String(decoding: pair.value, as: UTF8.self)))
            }
        case (.failure(let error), .failure(let expectedError)):
            #expect(error == expectedError)
        default:
            Issue.record("store \(actual) but model \(expected)")
        }
    }
}
