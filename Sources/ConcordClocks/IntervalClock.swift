/// A TrueTime-style interval clock (Corbett et al., "Spanner: Google's
/// Globally-Distributed Database", OSDI 2012, §3 and §4.1.2).
///
/// `now()` does not return an instant but an interval guaranteed to contain
/// the true time, provided the configuration is honest:
/// - at the last synchronization the local clock, corrected, was within
///   `baseUncertaintyNanoseconds` of true time;
/// - since then it has drifted by at most `driftPartsPerMillion`.
/// The half-width is therefore `base + drift × (time since last sync)`,
/// rounded up; it grows until the next ``synchronize(offsetNanoseconds:uncertaintyNanoseconds:)``.
///
/// Commit wait: a transaction that commits at timestamp `t` must not make
/// its effects visible until `t` has certainly passed on every node, that is
/// until `after(t)` holds. The clock never sleeps; ``commitWaitNanoseconds(until:)``
/// says how long the shell should wait on its local clock, and ``after(_:)``
/// is the predicate to check when it wakes.
///
/// This is the place where Concord relies on a clock bound: if real drift
/// exceeds the configured bound, intervals can miss true time and commit
/// wait no longer orders transactions.
public struct IntervalClock<Source: PhysicalClock>: Sendable {
    /// A million, the denominator of the drift bound.
    public static var partsPerMillion: Int64 { 1_000_000 }

    /// The local physical clock.
    public var physicalClock: Source
    /// The uncertainty right after a synchronization, in nanoseconds.
    public private(set) var baseUncertaintyNanoseconds: Int64
    /// The largest rate at which the local clock may drift from true time.
    public let driftPartsPerMillion: Int64
    /// The correction added to local readings, learned at the last synchronization.
    public private(set) var offsetNanoseconds: Int64
    /// The local reading (uncorrected) at the last synchronization.
    public private(set) var lastSyncLocalNanoseconds: Int64

    /// A clock synchronized at the current local reading with the given
    /// uncertainty and no correction.
    public init(physicalClock: Source, baseUncertaintyNanoseconds: Int64, driftPartsPerMillion: Int64) {
        precondition(baseUncertaintyNanoseconds >= 0, "uncertainty must not be negative")
        precondition(
            (0..<Self.partsPerMillion).contains(driftPartsPerMillion), "drift bound must be in 0..<1,000,000 ppm")
        self.physicalClock = physicalClock
        self.baseUncertaintyNanoseconds = baseUncertaintyNanoseconds
        self.driftPartsPerMillion = driftPartsPerMillion
        self.offsetNanoseconds = 0
        self.lastSyncLocalNanoseconds = physicalClock.nowNanoseconds()
    }

    /// Records a synchronization: from now on local readings are corrected by
    /// `offsetNanoseconds` and the uncertainty restarts at `uncertaintyNanoseconds`
    /// (for example the half-width of the ``Marzullo`` intersection).
    public mutating func synchronize(offsetNanoseconds: Int64, uncertaintyNanoseconds: Int64) {
        precondition(uncertaintyNanoseconds >= 0, "uncertainty must not be negative")
        self.offsetNanoseconds = offsetNanoseconds
        self.baseUncertaintyNanoseconds = uncertaintyNanoseconds
        self.lastSyncLocalNanoseconds = physicalClock.nowNanoseconds()
    }

    /// The uncertainty ε after `elapsed` nanoseconds since synchronization.
    func uncertainty(afterNanoseconds elapsed: Int64) -> Int64 {
        let growth = (Int128(max(elapsed, 0)) * Int128(driftPartsPerMillion) + Int128(Self.partsPerMillion - 1))
            / Int128(Self.partsPerMillion)
        return Int64(clamping: Int128(baseUncertaintyNanoseconds) + growth)
    }

    /// The interval around local reading `local`.
    func interval(atLocal local: Int64) -> UncertaintyInterval {
        let epsilon = uncertainty(afterNanoseconds: local - lastSyncLocalNanoseconds)
        let corrected = Int128(local) + Int128(offsetNanoseconds)
        return UncertaintyInterval(
            earliestNanoseconds: Int64(clamping: corrected - Int128(epsilon)),
            latestNanoseconds: Int64(clamping: corrected + Int128(epsilon)))
    }

    /// `TT.now()`: an interval that contains the true time.
    public func now() -> UncertaintyInterval {
        interval(atLocal: physicalClock.nowNanoseconds())
    }

    /// `TT.after(t)`: true when `t` has certainly passed.
    public func after(_ nanoseconds: Int64) -> Bool {
        now().earliestNanoseconds > nanoseconds
    }

    /// `TT.before(t)`: true when `t` has certainly not arrived.
    public func before(_ nanoseconds: Int64) -> Bool {
        now().latestNanoseconds < nanoseconds
    }

    /// A commit timestamp no earlier than any true time of this moment:
    /// `now().latest` (Spanner's "start" rule).
    public func commitTimestamp() -> Int64 {
        now().latestNanoseconds
    }

    /// Commit wait: how many nanoseconds of local time must pass before
    /// `after(t)` holds, 0 if it already does. The uncertainty keeps growing
    /// while waiting; the answer accounts for that.
    public func commitWaitNanoseconds(until nanoseconds: Int64) -> Int64 {
        let local = physicalClock.nowNanoseconds()
        if interval(atLocal: local).earliestNanoseconds > nanoseconds { return 0 }
        // earliest(x) = x + offset − base − ceil((x − sync) × drift / 10⁶) is
        // non-decreasing in x (drift < 10⁶); find the smallest x past `t` by
        // bisection over local readings.
        var low = local
        var high = local
        var step: Int64 = 1
        while interval(atLocal: high).earliestNanoseconds <= nanoseconds {
            low = high
            let (next, overflow) = high.addingReportingOverflow(step)
            if overflow { return Int64.max - local }
            high = next
            step = step > Int64.max / 2 ? Int64.max : step * 2
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if interval(atLocal: middle).earliestNanoseconds > nanoseconds { high = middle } else { low = middle }
        }
        return high - local
    }
}
