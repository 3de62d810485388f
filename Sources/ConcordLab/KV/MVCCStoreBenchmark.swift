import ConcordFoundation
import ConcordKV

/// The MVCC store's benchmark: how fast one replica applies commands and
/// serves reads (no Raft, no network: the state machine's own cost).
enum MVCCStoreBenchmark {
    /// How many times each case runs; the report gives the median.
    static let repetitions = 3
    /// Keys in the store for the read and update cases.
    static let keyCount = 10_000
    /// Operations per timed case.
    static let operationCount = 100_000

    static let benchmark = Benchmark(
        name: "kv-mvcc",
        summary: "MVCCStore: puts (new keys in order and at random, updates), gets, prefix ranges, cas txns, compaction, snapshots",
        run: run
    )

    static func key(_ number: Int) -> [UInt8] {
        var digits = Array(String(number).utf8)
        while digits.count < 8 { digits.insert(UInt8(ascii: "0"), at: 0) }
        return Array("key/".utf8) + digits
    }

    /// A store holding `keyCount` keys with one version each.
    static func filledStore() -> MVCCStore {
        var store = MVCCStore()
        for number in 0..<keyCount {
            _ = try? store.apply(.put(PutRequest(key: key(number), value: Array(repeating: 7, count: 64))))
        }
        return store
    }

    /// A fixed permutation source (SplitMix64), so runs are comparable.
    struct Mixer {
        var state: UInt64
        mutating func next(below bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            return Int(mixed % UInt64(bound))
        }
    }

    @Sendable static func run() -> [String] {
        var lines = ["concord microbench kv-mvcc (median of \(repetitions) runs; \(keyCount) keys, 64-byte values)"]
        let clock = ContinuousClock()
        let value = [UInt8](repeating: 7, count: 64)

        func timed(_ name: String, operations: Int, _ body: () -> Void) {
            var durations: [Duration] = []
            for _ in 0..<repetitions {
                durations.append(clock.measure(body))
            }
            durations.sort()
            let seconds = seconds(durations[durations.count / 2])
            if operations == 1 {
                lines.append("\(name): \(format(seconds * 1000)) ms")
            } else {
                let rate = Int((Double(operations) / seconds).rounded())
                lines.append("\(name): \(rate) ops/s (\(format(seconds * 1000)) ms for \(operations))")
            }
        }

        timed("put, \(operationCount) new keys in key order", operations: operationCount) {
            var store = MVCCStore()
            for number in 0..<operationCount {
                _ = try? store.apply(.put(PutRequest(key: key(number), value: value)))
            }
        }
        timed("put, \(operationCount) new keys in random order", operations: operationCount) {
            var store = MVCCStore()
            var mixer = Mixer(state: 1)
            for _ in 0..<operationCount {
                _ = try? store.apply(.put(PutRequest(key: key(mixer.next(below: 100_000_000)), value: value)))
            }
        }
        let filled = filledStore()
        timed("put, \(operationCount) updates of \(keyCount) keys", operations: operationCount) {
            var store = filled
            var mixer = Mixer(state: 2)
            for _ in 0..<operationCount {
                _ = try? store.apply(.put(PutRequest(key: key(mixer.next(below: keyCount)), value: value)))
            }
        }
        timed("range, one key of \(keyCount)", operations: operationCount) {
            var mixer = Mixer(state: 3)
            for _ in 0..<operationCount {
                _ = try? filled.range(RangeRequest(key: key(mixer.next(below: keyCount))))
            }
        }
        let prefixReads = operationCount / 10
        timed("range, a prefix of 100 keys", operations: prefixReads) {
            var mixer = Mixer(state: 4)
            for _ in 0..<prefixReads {
                let prefix = Array(key(mixer.next(below: keyCount / 100) * 100).dropLast(2))
                _ = try? filled.range(.prefix(prefix))
            }
        }
        timed("txn, cas on mod revision then put", operations: operationCount) {
            var store = filled
            var mixer = Mixer(state: 5)
            for _ in 0..<operationCount {
                let target = key(mixer.next(below: keyCount))
                let request = TxnRequest(
                    compare: [Compare(key: target, target: .modRevision(0), result: .greater)],
                    success: [.put(PutRequest(key: target, value: value))])
                _ = try? store.apply(.txn(request))
            }
        }
        var history = filled
        var mixer = Mixer(state: 6)
        for _ in 0..<operationCount {
            _ = try? history.apply(.put(PutRequest(key: key(mixer.next(below: keyCount)), value: value)))
        }
        let compactTo = history.currentRevision
        timed("compact \(operationCount + keyCount) revisions of \(keyCount) keys", operations: 1) {
            var store = history
            _ = try? store.apply(.compact(CompactionRequest(revision: compactTo)))
        }
        let snapshot = history.snapshot()
        timed("snapshot of \(keyCount) keys with \(operationCount + keyCount) versions (\(snapshot.count) bytes)", operations: 1) {
            _ = history.snapshot()
        }
        timed("restore of that snapshot", operations: 1) {
            _ = try? MVCCStore(snapshot: snapshot)
        }
        return lines
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func format(_ milliseconds: Double) -> String {
        let tenths = Int((milliseconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
