import ConcordFoundation
import ConcordCRDT
import ConcordClocks
import Foundation

/// The CRDT micro-benchmarks: merge throughput and encoded sizes.
enum CRDTBenchmarks {
    /// Replicas in the G-Counter benchmark.
    static let counterReplicaCount = 1_000
    /// Elements in the OR-Set benchmark.
    static let setElementCount = 100_000
    /// Replicas adding to the OR-Set.
    static let setReplicaCount = 10

    static let gCounter = Benchmark(
        name: "crdt-gcounter",
        summary: "G-Counter with 1,000 replicas: merge throughput and encoded size"
    ) {
        var random = SplitMix64(seed: 1)
        var left = GCounter()
        var right = GCounter()
        for replica in 0..<counterReplicaCount {
            left.increment(by: random.next(below: 1_000_000) + 1, at: ReplicaID(UInt64(replica)))
            right.increment(by: random.next(below: 1_000_000) + 1, at: ReplicaID(UInt64(replica)))
        }
        let iterations = 2_000
        let (elapsed, checksum) = measure {
            var checksum: UInt64 = 0
            for _ in 0..<iterations {
                var merged = left
                merged.merge(right)
                checksum &+= merged.value
            }
            return checksum
        }
        let binary = left.binaryEncoded().count
        let json = jsonSize(left)
        let delta = GCounter(entries: [ReplicaID(500): 1_234_567]).binaryEncoded().count
        return [
            "command: swift run -c release concord microbench crdt-gcounter",
            "replicas: \(counterReplicaCount)",
            "merges: \(iterations) in \(format(elapsed)) of CPU time (\(rate(iterations, elapsed)) merges/s, \(rate(iterations * counterReplicaCount, elapsed)) entries/s)",
            "binary encoding: \(binary) bytes full state (\(format2(Double(binary) / Double(counterReplicaCount))) bytes/replica), \(delta) bytes per increment delta",
            "JSON (Codable) encoding: \(json) bytes full state",
            "checksum: \(checksum)",
        ]
    }

    static let orSet = Benchmark(
        name: "crdt-orset",
        summary: "OR-Set of 100,000 elements: merge throughput and encoded size"
    ) {
        var random = SplitMix64(seed: 2)
        var left = ORSet<UInt64>()
        for element in 0..<UInt64(setElementCount) {
            left.insert(element, at: ReplicaID(random.next(below: UInt64(setReplicaCount))))
        }
        // The other replica has seen everything, then removed 1% and added 1% more.
        var right = left
        for _ in 0..<(setElementCount / 100) {
            right.remove(random.next(below: UInt64(setElementCount)))
            right.insert(UInt64(setElementCount) + random.next(below: UInt64(setElementCount)), at: ReplicaID(99))
        }
        let iterations = 10
        let (elapsed, checksum) = measure {
            var checksum = 0
            for _ in 0..<iterations {
                var merged = left
                merged.merge(right)
                checksum &+= merged.count
            }
            return UInt64(checksum)
        }
        let binary = left.binaryEncoded().count
        let json = jsonSize(left)
        var deltaSource = left
        let addDelta = deltaSource.insert(42_424_242, at: ReplicaID(3)).binaryEncoded().count
        let removeDelta = deltaSource.remove(7).binaryEncoded().count
        return [
            "command: swift run -c release concord microbench crdt-orset",
            "elements: \(setElementCount) added by \(setReplicaCount) replicas; the other side removed and added 1%",
            "merges: \(iterations) in \(format(elapsed)) of CPU time (\(rate(iterations, elapsed)) merges/s, \(rate(iterations * setElementCount, elapsed)) elements/s)",
            "binary encoding: \(binary) bytes full state (\(format2(Double(binary) / Double(setElementCount))) bytes/element)",
            "JSON (Codable) encoding: \(json) bytes full state",
            "delta sizes: add \(addDelta) bytes, remove \(removeDelta) bytes",
            "checksum: \(checksum)",
        ]
    }

    /// Seeds of the gossip-bytes benchmark.
    static let gossipSeeds: Range<UInt64> = 0..<20

    static let gossipBytes = Benchmark(
        name: "crdt-gossip-bytes",
        summary: "bytes shipped by delta gossip versus full-state gossip over the crdt-gossip scenario"
    ) {
        var deltaPayload = 0
        var fallbackPayload = 0
        var fullPayload = 0
        var updates = 0
        var failures = 0
        for seed in gossipSeeds {
            let deltas = CRDTGossip.run(seed: seed, mode: .deltas)
            let full = CRDTGossip.run(seed: seed, mode: .fullStates)
            deltaPayload += deltas.deltaBytes
            fallbackPayload += deltas.fullStateBytes
            fullPayload += full.fullStateBytes
            updates += deltas.updates
            if !deltas.failures.isEmpty || !full.failures.isEmpty { failures += 1 }
        }
        let deltaTotal = deltaPayload + fallbackPayload
        return [
            "command: swift run -c release concord microbench crdt-gossip-bytes",
            "runs: seeds \(gossipSeeds.lowerBound)..<\(gossipSeeds.upperBound) of crdt-gossip (3 s of faults, then healing), \(updates) client updates, \(failures) failed runs",
            "delta gossip: \(deltaTotal) payload bytes (\(deltaPayload) in deltas, \(fallbackPayload) in full-state fallbacks)",
            "full-state gossip: \(fullPayload) payload bytes",
            "ratio: deltas ship \(format2(Double(deltaTotal) / Double(max(fullPayload, 1)) * 100))% of the full-state bytes",
        ]
    }

    /// The size of the value's JSON (Codable) encoding, for comparison.
    static func jsonSize(_ value: some Encodable) -> Int {
        (try? JSONEncoder().encode(value).count) ?? -1
    }

    /// Runs `body` once and returns the process CPU time it took (less
    /// sensitive than wall time to other load on a shared machine) and its result.
    static func measure(_ body: () -> UInt64) -> (Duration, UInt64) {
        let start = processCPUTime()
        let result = body()
        return (processCPUTime() - start, result)
    }

    /// CPU time used by this process so far.
    static func processCPUTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func rate(_ count: Int, _ duration: Duration) -> String {
        let perSecond = Double(count) / max(seconds(duration), 1e-9)
        return String(Int(perSecond.rounded()))
    }

    static func format(_ duration: Duration) -> String {
        "\(format2(seconds(duration) * 1_000)) ms"
    }

    static func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}


extension SplitMix64 {
    /// A uniform integer in `0..<bound`, as the standard library draws it.
    fileprivate mutating func next(below bound: UInt64) -> UInt64 {
        UInt64.random(in: 0..<bound, using: &self)
    }
}
