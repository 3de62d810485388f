import ConcordSimulation

/// A named, seeded simulation that wires a protocol core to the simulator and
/// a checker. `concord sim <name>` runs one; the tests run sweeps of them.
///
/// A scenario derives everything from its seed: the same seed and the same
/// code give the same trace (and so the same `traceHash`).
public struct Scenario: Sendable {
    /// The name used on the command line: `concord sim <name> --seed N`.
    public let name: String
    /// One line describing what the scenario shows.
    public let summary: String
    /// Runs the scenario once with the given options.
    public let run: @Sendable (ScenarioOptions) -> ScenarioResult
    /// True for a measurement: it runs many seeds of other scenarios and
    /// prints a table, so it has no single run to draw (`--html` writes a
    /// page that says so); run one of its seeds with its scenario instead.
    public let isMeasurement: Bool

    public init(
        name: String, summary: String, isMeasurement: Bool = false,
        run: @escaping @Sendable (ScenarioOptions) -> ScenarioResult
    ) {
        self.name = name
        self.summary = summary
        self.isMeasurement = isMeasurement
        self.run = run
    }
}

/// What one run of a scenario is asked to do.
public struct ScenarioOptions: Sendable {
    /// The seed every random choice of the run derives from.
    public var seed: UInt64
    /// Whether the run should keep a human-readable timeline.
    public var recordTimeline: Bool
    /// Test-only: the name of a known bug to re-introduce into the protocol
    /// under test, or nil for the correct protocol.
    public var bug: String?
    /// Whether the run should keep its simulator's ``SimulationRecording``
    /// and its client operations in the result, for the space-time diagram
    /// (`concord sim NAME --seed N --html FILE`). Off in sweeps: recordings
    /// cost memory.
    public var recordEvents: Bool

    public init(seed: UInt64, recordTimeline: Bool = false, bug: String? = nil, recordEvents: Bool = false) {
        self.seed = seed
        self.recordTimeline = recordTimeline
        self.bug = bug
        self.recordEvents = recordEvents
    }
}

/// What one run of a scenario found.
public struct ScenarioResult: Sendable {
    /// True when every check of the run passed.
    public var passed: Bool
    /// A one-line verdict, for example the checker's.
    public var verdict: String
    /// Human-readable lines, one per event worth showing (empty unless asked).
    public var timeline: [String]
    /// A hash of the complete trace of the run, equal for equal seeds.
    public var traceHash: UInt64
    /// What the simulator recorded, when ``ScenarioOptions/recordEvents`` was
    /// set: the simulator's `recording`, passed on as it is.
    public var recording: SimulationRecording?
    /// The client operations the checker judged, the ones it blames marked
    /// `isOffending` (empty for scenarios without client histories, or
    /// unless ``ScenarioOptions/recordEvents`` was set).
    public var operations: [RecordedOperation]

    public init(
        passed: Bool, verdict: String, timeline: [String] = [], traceHash: UInt64,
        recording: SimulationRecording? = nil, operations: [RecordedOperation] = []
    ) {
        self.passed = passed
        self.verdict = verdict
        self.timeline = timeline
        self.traceHash = traceHash
        self.recording = recording
        self.operations = operations
    }
}

/// Every scenario `concord sim` knows, in the order `concord sim --list` shows.
public enum Scenarios {
    public static let all: [Scenario] = [
        // Each protocol registers its scenarios here, one line each.
        RegisterScenario.flawed, RegisterScenario.safe,
        CRDTGossip.scenario,
        RaftScenario.scenario,
        TransactionScenarios.twoPhase,
        TransactionScenarios.twoPhaseBlocking,
        TransactionScenarios.threePhase,
        TransactionScenarios.threePhasePartition,
        TransactionScenarios.sagaCheckout,
        TransactionScenarios.sagaTravel,
        TransactionScenarios.sagaChoreography,
        PaxosScenario.scenario, MultiPaxosScenario.scenario, FastPaxosScenario.scenario,
        ServerScenario.scenario,
        ServerScenario.multiPaxosScenario,
        ZooKeeperScenario.scenario,
        ZooKeeperScenario.shortScenario,
        ClockSyncScenario.scenario, CausalityScenario.scenario, HybridClockScenario.scenario, CommitWaitScenario.scenario,
        DynamoScenario.scenario,
        DynamoScenario.hintsScenario,
        DynamoScenario.tombstonesScenario,
        DynamoCausalScenario.scenario,
        DynamoLessons.lastWriterWinsUnderSkew,
        DynamoLessons.siblings,
        DynamoLessons.crdtMerge,
        DynamoLessons.staleRead,
        DynamoLessons.sloppyQuorum,
        ConsistencyMatrix.scenario,
        DynamoBugHunt.scenario,
        DynamoMeasurements.convergence,
        DynamoMeasurements.antiEntropy,
    ]

    /// The scenario with this name, if there is one.
    public static func named(_ name: String) -> Scenario? {
        all.first { $0.name == name }
    }
}
