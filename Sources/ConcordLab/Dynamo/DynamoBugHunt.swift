import ConcordDynamo

/// Where each of the store's bug switches is hunted, the number of seeds
/// within which a sweep must catch it, and a phrase the failing verdict must
/// contain (the check that caught it). The tests assert every bound;
/// `concord sim dynamo-bug-hunt --seed S` measures, for each bug, the first
/// seed from S that catches it and how many of `measuredSeeds` seeds do.
public struct DynamoBugHunt: Sendable, CustomStringConvertible {
    /// The bug switched on.
    public var bug: DynamoBug
    /// The `dynamo` profile the bug is hunted in; nil: `dynamo-causal`.
    var profile: DynamoScenario.Profile?
    /// A sweep from seed 0 must catch the bug before this many seeds.
    public var bound: UInt64
    /// A phrase the failing verdict must contain (empty: any failure).
    public var evidence: String

    public var description: String { bug.rawValue }

    /// The scenario the bug is hunted in, as `concord sim` names it.
    public var scenarioName: String {
        switch profile {
        case .swarm: "dynamo"
        case .hints: "dynamo-hints"
        case .tombstones: "dynamo-tombstones"
        case nil: "dynamo-causal"
        }
    }

    /// One standard run (2 s of faults) of the hunt's scenario.
    func run(seed: UInt64, bug: DynamoBug?) -> DynamoScenario.Report {
        if let profile {
            return DynamoScenario.execute(seed: seed, bug: bug, recordsTrace: false, profile: profile)
        }
        return DynamoCausalScenario.execute(seed: seed, bug: bug, recordsTrace: false)
    }

    /// Whether the run with the bug on caught it, with the hunt's evidence.
    func catches(seed: UInt64) -> (caught: Bool, verdict: String) {
        let report = run(seed: seed, bug: bug)
        return (!report.passed && (evidence.isEmpty || report.verdict.contains(evidence)), report.verdict)
    }

    /// Every bug switch, with its bound.
    public static let all: [DynamoBugHunt] = [
        DynamoBugHunt(bug: .readRepairWritesOlderVersion, profile: .swarm, bound: 20, evidence: ""),
        DynamoBugHunt(bug: .hintedHandoffDropsHints, profile: .hints, bound: 40, evidence: "is lost"),
        DynamoBugHunt(bug: .antiEntropySkipsRange, profile: .swarm, bound: 20, evidence: "not converged"),
        DynamoBugHunt(bug: .mergeDropsSibling, profile: .swarm, bound: 20, evidence: "is lost"),
        DynamoBugHunt(bug: .sessionTokenIgnored, profile: .swarm, bound: 40, evidence: "no order of versions satisfies"),
        DynamoBugHunt(bug: .causalDependencyNotWaited, profile: nil, bound: 30, evidence: "causal violation"),
        DynamoBugHunt(bug: .tombstoneCollectedEarly, profile: .tombstones, bound: 40, evidence: "came back"),
    ]

    /// How many seeds the measurement runs per bug.
    public static let measuredSeeds: UInt64 = 100

    /// The measurement, as registered in `Scenarios.all`.
    public static let scenario = Scenario(
        name: "dynamo-bug-hunt",
        summary: "measurement: for each bug switch, the first seed that catches it and how many of 100 seeds do",
        isMeasurement: true
    ) { options in
        ScenarioResult(passed: true, verdict: "\(all.count) bugs hunted", timeline: table(firstSeed: options.seed), traceHash: 0)
    }

    static func table(firstSeed: UInt64) -> [String] {
        var lines = [
            "Bug switches: standard runs (2 s of swarm faults), seeds \(firstSeed)...\(firstSeed + measuredSeeds - 1);",
            "a seed catches the bug when its run fails with the evidence shown. The tests require a catch within the bound, from seed 0.",
            "",
            "| bug (`--bug`) | scenario | evidence | bound (seeds) | first seed caught | seeds caught |",
            "| --- | --- | --- | ---: | ---: | ---: |",
        ]
        for hunt in all {
            var first: UInt64?
            var caught = 0
            for seed in firstSeed..<(firstSeed + measuredSeeds) where hunt.catches(seed: seed).caught {
                caught += 1
                if first == nil { first = seed }
            }
            let evidence = hunt.evidence.isEmpty ? "any failed check" : "\"\(hunt.evidence)\""
            lines.append("| `\(hunt.bug.rawValue)` | `\(hunt.scenarioName)` | \(evidence) | \(hunt.bound) | "
                + "\(first.map(String.init) ?? "none") | \(caught) of \(measuredSeeds) |")
        }
        return lines
    }
}
