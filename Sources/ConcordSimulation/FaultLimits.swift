import ConcordFoundation

/// The kinds of fault a swarm run may use.
public struct FaultKinds: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Crash a node (losing its unsynced writes) and restart it later.
    public static let crash = FaultKinds(rawValue: 1 << 0)
    /// Pause a node and resume it later.
    public static let pause = FaultKinds(rawValue: 1 << 1)
    /// Split the nodes into two groups that cannot talk, and heal.
    public static let partition = FaultKinds(rawValue: 1 << 2)
    /// Block single links one way, and heal.
    public static let block = FaultKinds(rawValue: 1 << 3)
    /// Change latency, loss, duplication and reordering.
    public static let network = FaultKinds(rawValue: 1 << 4)
    /// Skew, drift and jump node clocks.
    public static let clock = FaultKinds(rawValue: 1 << 5)

    /// Every kind of fault.
    public static let all: FaultKinds = [.crash, .pause, .partition, .block, .network, .clock]

    /// Every kind in a fixed order, with its name.
    static let named: [(FaultKinds, String)] = [
        (.crash, "crash"), (.pause, "pause"), (.partition, "partition"),
        (.block, "block"), (.network, "network"), (.clock, "clock"),
    ]

    /// The names of the kinds in this set, for example `crash+partition`.
    public var names: String {
        let names = Self.named.filter { contains($0.0) }.map(\.1)
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}

/// The bounds within which `FaultPlan.random` picks a run's faults. Every
/// bound is independent of the cluster size: rates are per run, not per node,
/// and at most a minority is down at once unless `allowsMajorityDown`.
public struct FaultLimits: Sendable, Hashable {
    /// The kinds a run may enable; each run enables a random subset.
    public var kinds: FaultKinds
    /// The shortest mean time between faults a run may pick.
    public var faultIntervalMin: SimulationDuration
    /// The longest mean time between faults a run may pick.
    public var faultIntervalMax: SimulationDuration
    /// Whether crashes and pauses may take down a majority at once (safety
    /// must hold even then; only liveness needs a majority).
    public var allowsMajorityDown: Bool
    /// The fastest one-way latency a run may pick.
    public var latencyMin: SimulationDuration
    /// The slowest one-way latency a run may pick.
    public var latencyMax: SimulationDuration
    /// The highest message loss rate a run may pick.
    public var lossPerMillionMax: UInt32
    /// The highest duplication rate a run may pick.
    public var duplicationPerMillionMax: UInt32
    /// The highest reordering rate a run may pick.
    public var reorderPerMillionMax: UInt32
    /// The largest clock skew, either way.
    public var clockSkewMax: SimulationDuration
    /// The largest clock drift, either way (at most 100,000).
    public var clockDriftPerMillionMax: Int32
    /// The largest single clock jump, either way.
    public var clockJumpMax: SimulationDuration

    /// Limits suited to protocols with timeouts of tens to hundreds of
    /// milliseconds.
    public init(
        kinds: FaultKinds = .all,
        faultIntervalMin: SimulationDuration = .milliseconds(50),
        faultIntervalMax: SimulationDuration = .milliseconds(500),
        allowsMajorityDown: Bool = false,
        latencyMin: SimulationDuration = .milliseconds(1),
        latencyMax: SimulationDuration = .milliseconds(20),
        lossPerMillionMax: UInt32 = 200_000,
        duplicationPerMillionMax: UInt32 = 100_000,
        reorderPerMillionMax: UInt32 = 200_000,
        clockSkewMax: SimulationDuration = .milliseconds(100),
        clockDriftPerMillionMax: Int32 = 1_000,
        clockJumpMax: SimulationDuration = .milliseconds(500)
    ) {
        precondition(faultIntervalMin.nanoseconds > 0 && faultIntervalMin <= faultIntervalMax, "need 0 < faultIntervalMin <= faultIntervalMax")
        precondition(latencyMin.nanoseconds >= 0 && latencyMin <= latencyMax, "need 0 <= latencyMin <= latencyMax")
        precondition(lossPerMillionMax < 1_000_000, "a network that loses everything cannot be healed by chance")
        precondition(clockDriftPerMillionMax >= 0 && clockDriftPerMillionMax <= NodeClock.driftPerMillionLimit, "clock drift limit out of range")
        precondition(clockSkewMax.nanoseconds >= 0 && clockJumpMax.nanoseconds >= 0, "clock limits must not be negative")
        self.kinds = kinds
        self.faultIntervalMin = faultIntervalMin
        self.faultIntervalMax = faultIntervalMax
        self.allowsMajorityDown = allowsMajorityDown
        self.latencyMin = latencyMin
        self.latencyMax = latencyMax
        self.lossPerMillionMax = lossPerMillionMax
        self.duplicationPerMillionMax = duplicationPerMillionMax
        self.reorderPerMillionMax = reorderPerMillionMax
        self.clockSkewMax = clockSkewMax
        self.clockDriftPerMillionMax = clockDriftPerMillionMax
        self.clockJumpMax = clockJumpMax
    }

    /// Picks a cluster size in `sizes` from `seed` (a separate stream from the
    /// plan's and the simulator's).
    public static func clusterSize(seed: UInt64, in sizes: ClosedRange<Int>) -> Int {
        precondition(sizes.lowerBound > 0, "a cluster has at least one node")
        var random = SeededRandom(seed: seed ^ 0xC1A5_7E25_12E5_EED5)
        return sizes.lowerBound + random.index(below: sizes.count)
    }
}
