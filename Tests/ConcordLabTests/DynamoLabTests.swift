import ConcordDynamo
import ConcordSimulation
import Testing
@testable import ConcordLab

/// Randomized sweeps of the leaderless store: the correct core passes every
/// seed, and each test-only bug is caught within a stated number of seeds.
@Suite struct DynamoSweepTests {
    /// The CI sweep: 500 seeds of short runs (a 600 ms safety phase of swarm
    /// faults, then healing and convergence), in chunks that run in parallel.
    static let sweepSeeds: UInt64 = 500
    static let sweepChunks: UInt64 = 10

    @Test(arguments: 0..<sweepChunks)
    func correctStorePassesShortSwarmRuns(chunk: UInt64) {
        let size = Self.sweepSeeds / Self.sweepChunks
        var verdicts: [String] = []
        let failures = Sweep.run(seeds: (chunk * size)..<((chunk + 1) * size)) { seed in
            let report = DynamoScenario.execute(
                seed: seed, bug: nil, recordsTrace: false, profile: .swarm, safetyPhase: DynamoScenario.shortSafetyPhase)
            if !report.passed { verdicts.append(report.verdict) }
            return report.passed
        }
        #expect(failures.isEmpty, "failing seeds \(failures): \(verdicts.first ?? "")")
    }

    /// The two emphasis profiles, 100 short runs each.
    static let profileSeeds: UInt64 = 100

    @Test(arguments: [DynamoScenario.Profile.hints, .tombstones])
    func correctStorePassesEmphasisProfiles(_ profile: DynamoScenario.Profile) {
        var verdicts: [String] = []
        let failures = Sweep.run(seeds: 0..<Self.profileSeeds) { seed in
            let report = DynamoScenario.execute(
                seed: seed, bug: nil, recordsTrace: false, profile: profile, safetyPhase: DynamoScenario.shortSafetyPhase)
            if !report.passed { verdicts.append(report.verdict) }
            return report.passed
        }
        #expect(failures.isEmpty, "failing seeds \(failures): \(verdicts.first ?? "")")
    }

    /// The causal CI sweep: 500 short runs, in chunks that run in parallel.
    @Test(arguments: 0..<sweepChunks)
    func correctStorePassesShortCausalRuns(chunk: UInt64) {
        let size = Self.sweepSeeds / Self.sweepChunks
        var verdicts: [String] = []
        let failures = Sweep.run(seeds: (chunk * size)..<((chunk + 1) * size)) { seed in
            let report = DynamoCausalScenario.execute(
                seed: seed, bug: nil, recordsTrace: false, safetyPhase: DynamoCausalScenario.shortSafetyPhase)
            if !report.passed { verdicts.append(report.verdict) }
            return report.passed
        }
        #expect(failures.isEmpty, "failing seeds \(failures): \(verdicts.first ?? "")")
    }

    /// Each bug within its bound (`DynamoBugHunt.all`; measured by
    /// `concord sim dynamo-bug-hunt --seed 0`, table in docs/dynamo.md).
    @Test(arguments: DynamoBugHunt.all)
    func sweepCatchesTheBug(_ hunt: DynamoBugHunt) {
        guard let caught = (0..<hunt.bound).first(where: { hunt.catches(seed: $0).caught }) else {
            Issue.record("\(hunt.bug.rawValue) was not caught (with \"\(hunt.evidence)\") within \(hunt.bound) seeds")
            return
        }
        // The same seed passes without the bug: the bug, not the run, failed it.
        let correct = hunt.run(seed: caught, bug: nil)
        #expect(correct.passed, "seed \(caught) also fails without \(hunt.bug.rawValue): \(correct.verdict)")
    }

    @Test func aRunIsDeterminedByItsSeed() {
        let first = DynamoScenario.execute(seed: 42, bug: nil, recordsTrace: false, profile: .swarm)
        let second = DynamoScenario.execute(seed: 42, bug: nil, recordsTrace: false, profile: .swarm)
        #expect(first.traceHash == second.traceHash)
        let other = DynamoScenario.execute(seed: 43, bug: nil, recordsTrace: false, profile: .swarm)
        #expect(first.traceHash != other.traceHash)
    }

    @Test func anUnknownBugIsRefused() {
        let result = DynamoScenario.scenario.run(ScenarioOptions(seed: 1, bug: "no-such-bug"))
        #expect(!result.passed && result.verdict.contains("unknown bug"))
    }
}

/// The classic lessons show what they are meant to show.
@Suite struct DynamoLessonTests {
    @Test(arguments: ["dynamo-lww-skew", "dynamo-siblings", "dynamo-crdt", "dynamo-stale-read", "dynamo-sloppy-quorum"])
    func theLessonShowsItsPoint(_ name: String) throws {
        let scenario = try #require(Scenarios.named(name))
        let result = scenario.run(ScenarioOptions(seed: 1, recordTimeline: true))
        #expect(result.passed, "\(name): \(result.verdict)")
        #expect(!result.timeline.isEmpty)
    }

    @Test func lastWriterWinsLosesTheLaterWriteOnlyBecauseOfTheSkew() {
        // Without skew the later write wins: the loss is the clock's doing.
        var lesson = DynamoLessons.Lesson(seed: 1, members: [1, 2, 3], clients: 2)
        lesson.at(10, client: 0, "cart", .put("from-c0"), via: 1, consistency: .all, mode: .lastWriterWins)
        lesson.at(60, client: 1, "cart", .put("from-c1"), via: 2, consistency: .all, mode: .lastWriterWins)
        lesson.settle()
        lesson.at(300, client: 0, "cart", .get, via: 3, consistency: .all)
        lesson.settle()
        #expect(lesson.last(0)?.result == .values(["from-c1"], deleted: false))
    }
}

/// The measurements run and show the trade-off they are about.
@Suite struct DynamoMeasurementTests {
    @Test func theMatrixShowsAvailabilityTradedForConsistencyDuringThePartition() {
        let rows = ConsistencyMatrix.measure(firstSeed: 2, seeds: 1)
        #expect(rows.count == ConsistencyMatrix.levels.count + 2)
        let strong = rows[0]
        let sequential = rows[1]
        let eventual = rows.last!
        #expect(strong.verdict == "linearizable")
        #expect(strong.staleReads == 0)
        #expect(strong.minorityInvoked > 0 && strong.minorityAnsweredCutOff == 0, "Raft's minority side cannot answer while cut off")
        #expect(sequential.verdict == "sequentially consistent", "\(sequential.witnessFailures.prefix(3))")
        #expect(sequential.minorityAnsweredCutOff > 0, "reads from the client's own member go on in the minority")
        #expect(sequential.staleReads > 0, "and some of them are stale")
        #expect(eventual.minorityAnsweredCutOff > 0)
        #expect(eventual.minorityAnswered * 10 >= eventual.minorityInvoked * 9, "R=W=1 stays available on the minority side")
        let strictQuorum = rows.first { $0.name.hasPrefix("QUORUM, R=W=2 strict") }!
        #expect(strictQuorum.minorityAnswered < strictQuorum.minorityInvoked)
        let table = ConsistencyMatrix.table(rows, firstSeed: 2)
        #expect(table.contains { $0.hasPrefix("| strong (Raft)") })
        #expect(table.contains { $0.hasPrefix("| sequential (Raft") })
    }

    /// The sequential row's promise rests on each client keeping to one
    /// member: sent to any member of its side, a client reads behind its
    /// own writes, and the witness check says so.
    @Test func readsFromAnyMemberAreNotSequentiallyConsistent() {
        let row = ConsistencyMatrix.raftRow(firstSeed: 1, seeds: 5, sequential: true, stickyClients: false)
        #expect(row.verdict == "not shown sequentially consistent")
        #expect(!row.witnessFailures.isEmpty)
    }

    @Test func antiEntropySendsFarLessThanAFullCopy() {
        let (bytes, messages, full) = DynamoMeasurements.measureAntiEntropy(seed: 1, keys: 1_000, depth: 6)
        #expect(messages > 0)
        #expect(bytes < full / 2, "anti-entropy sent \(bytes) bytes; a full copy is \(full)")
    }
}
