import ConcordClocks
import ConcordDynamo
import ConcordSimulation

/// Measurements of the leaderless store in the simulator, printed as tables
/// by `concord sim dynamo-convergence` and `concord sim dynamo-anti-entropy`.
public enum DynamoMeasurements {
    /// Convergence time after healing, against the rate of faults.
    public static let convergence = Scenario(
        name: "dynamo-convergence",
        summary: "measurement: time from healing to convergence against the fault rate",
        isMeasurement: true
    ) { options in
        ScenarioResult(passed: true, verdict: "measured", timeline: convergenceTable(firstSeed: options.seed), traceHash: 0)
    }

    /// Anti-entropy traffic against the number of keys.
    public static let antiEntropy = Scenario(
        name: "dynamo-anti-entropy",
        summary: "measurement: anti-entropy bytes to repair 1% of keys, against the key count and the Merkle tree size",
        isMeasurement: true
    ) { options in
        ScenarioResult(passed: true, verdict: "measured", timeline: antiEntropyTable(seed: options.seed), traceHash: 0)
    }

    public static let convergenceSeeds: UInt64 = 20
    /// Mean times between faults measured (nil: no faults).
    static let faultIntervals: [SimulationDuration?] = [nil, .milliseconds(400), .milliseconds(200), .milliseconds(100), .milliseconds(50)]

    /// The fixed shape of the convergence runs: five members, N=3, QUORUM
    /// sloppy and ONE, anti-entropy every 10 ticks, no ring change.
    static func convergenceSettings(_ settings: inout DynamoLabSettings) {
        settings.members = [1, 2, 3, 4, 5]
        settings.joining = nil
        settings.leaving = nil
        settings.dynamo = DynamoSettings()
        settings.consistencies = [RequestConsistency.quorum, RequestConsistency.one]
    }

    static func convergenceTable(firstSeed: UInt64) -> [String] {
        var lines = [
            "Convergence after healing: 5 members, N=3, QUORUM and ONE writes, anti-entropy every 100 ms per member,",
            "2 s of swarm faults at the given mean interval (crashes, pauses, partitions, loss, clock skew), then every member",
            "restarted and reconnected; time until every key is held by exactly its replicas with equal copies, no hint left.",
            "Seeds \(firstSeed)...\(firstSeed + convergenceSeeds - 1); virtual time.",
            "",
            "| mean time between faults | faults per run | median s | p90 s | max s | not converged |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for interval in faultIntervals {
            var times: [Int64] = []
            var faults = 0
            var failed = 0
            for seed in firstSeed..<(firstSeed + convergenceSeeds) {
                let limits = interval.map {
                    FaultLimits(faultIntervalMin: $0, faultIntervalMax: $0, allowsMajorityDown: true)
                } ?? FaultLimits(kinds: [])
                let plan = FaultPlan.random(seed: seed, nodes: [1, 2, 3, 4, 5], safetyPhase: DynamoScenario.safetyPhase, limits: limits)
                faults += plan.faults.filter { $0.0 < plan.healedAt }.count
                let report = DynamoScenario.execute(
                    seed: seed, bug: nil, recordsTrace: false, faultLimits: limits, adjust: convergenceSettings)
                if let converged = report.convergedAfter { times.append(converged.nanoseconds) } else { failed += 1 }
            }
            times.sort()
            func seconds(_ fraction: Double) -> String {
                guard !times.isEmpty else { return "-" }
                let index = min(times.count - 1, max(0, Int((Double(times.count) * fraction).rounded(.up)) - 1))
                return String(format2: Double(times[index]) / 1_000_000_000)
            }
            let name = interval.map { "\($0.nanoseconds / 1_000_000) ms" } ?? "no faults"
            lines.append("| \(name) | \(faults / Int(convergenceSeeds)) | \(seconds(0.5)) | \(seconds(0.9)) | \(seconds(1.0)) | \(failed) |")
        }
        return lines
    }

    static let keyCounts = [100, 1_000, 10_000]
    static let treeDepths = [3, 6]

    /// Three members holding the same keys, except that the third missed
    /// 1% of them; anti-entropy alone repairs it.
    static func antiEntropyTable(seed: UInt64) -> [String] {
        var lines = [
            "Anti-entropy cost: 3 members, N=3, each key held by all three; member 3 missed 1% of the keys.",
            "Merkle trees of branching 4 per ring arc (8 virtual nodes per member: 24 arcs); one exchange per member per tick",
            "until converged. Full copy: the bytes of every copy of one member (what a naive exchange would send once).",
            "",
            "| keys | missing | tree leaves per arc | anti-entropy bytes | messages | full copy bytes | bytes per missing key |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for keys in keyCounts {
            for depth in treeDepths {
                let (bytes, messages, full) = measureAntiEntropy(seed: seed, keys: keys, depth: depth)
                let missing = keys / 100
                var leaves = 1
                for _ in 0..<depth { leaves *= 4 }
                lines.append("| \(keys) | \(missing) | \(leaves) | \(bytes) | \(messages) | \(full) | \(bytes / max(missing, 1)) |")
            }
        }
        return lines
    }

    static func measureAntiEntropy(seed: UInt64, keys: Int, depth: Int) -> (bytes: Int, messages: Int, fullCopy: Int) {
        var dynamo = DynamoSettings()
        dynamo.antiEntropyIntervalTicks = 1
        dynamo.merkleBranching = 4
        dynamo.merkleDepth = depth
        let settings = DynamoLabSettings(
            members: [1, 2, 3], clients: [], dynamo: dynamo,
            workload: DynamoLabWorkload(registerKeys: [], counterKeys: [], setKeys: [], deletes: false),
            sessions: false, consistencies: [], clientsStopAt: .zero)
        let actor = Actor.replica(member: 1, epoch: 1)
        var full = StoredState()
        full.actorEpoch = 1
        var partial = full
        var fullBytes = 0
        for index in 0..<keys {
            var siblings = Siblings()
            siblings.write(SiblingValue(ByteString("value-\(index)")), context: VersionVector(), at: actor)
            let object = StoredObject.siblings(siblings)
            let key = ByteString("key-\(index)")
            full.objects[key] = object
            fullBytes += KeyedObject(key: key, object: object).binaryEncoded().count
            if index % 100 != 0 { partial.objects[key] = object }
        }
        var run = DynamoLabRun(seed: seed, settings: settings, recordsTrace: false, stored: [1: full, 2: full, 3: partial])
        let deadline = SimulationInstant.zero + .seconds(60)
        while run.simulator.now < deadline && !run.divergence().isEmpty {
            run.simulator.run(until: run.simulator.now + .milliseconds(50))
        }
        return (run.traffic.antiEntropyBytes, run.traffic.antiEntropyMessages, fullBytes)
    }
}

extension String {
    /// A number with two decimals.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        self = "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
