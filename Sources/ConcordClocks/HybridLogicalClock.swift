/// Why a hybrid logical clock refused a remote timestamp. The clock is
/// unchanged after any of these.
public enum HybridLogicalClockError: Error, Hashable, Sendable {
    /// The remote wall time is further ahead of the local physical clock than
    /// the configured maximum offset allows: either the sender's clock is
    /// broken or ours is, and accepting it would drag this clock away from
    /// physical time for good.
    case remoteTooFarAhead(remote: HybridTimestamp, physicalNanoseconds: Int64, maximumOffsetNanoseconds: Int64)
    /// The logical counter would pass its maximum (more than 2^32 events
    /// within one physical nanosecond; only a forged timestamp gets here).
    case logicalCounterExhausted(HybridTimestamp)
}

/// A hybrid logical clock (Kulkarni et al. 2014, Figure 5).
///
/// Guarantees, given a physical clock that does not go backwards:
/// - monotonic: every timestamp it issues is larger than the previous one
///   and than any remote timestamp it accepted;
/// - causal: if `e` happened before `f`, then `hlc(e) < hlc(f)`;
/// - close to physical time: `wall ≥ physical` always, and
///   `wall − physical ≤ maximumOffsetNanoseconds`, because remote times
///   further ahead are rejected (``HybridLogicalClockError/remoteTooFarAhead``).
///
/// This bound is the place where Concord relies on clocks: it holds only if
/// the configured maximum offset really bounds the skew between nodes.
public struct HybridLogicalClock<Source: PhysicalClock>: Sendable {
    /// The physical clock read on every event.
    public var physicalClock: Source
    /// The largest distance, in nanoseconds, a remote wall time may be ahead
    /// of local physical time.
    public let maximumOffsetNanoseconds: Int64
    /// The last timestamp issued or accepted.
    public private(set) var last: HybridTimestamp

    /// A clock that has issued nothing yet.
    public init(physicalClock: Source, maximumOffsetNanoseconds: Int64, last: HybridTimestamp = .zero) {
        precondition(maximumOffsetNanoseconds >= 0, "maximum offset must not be negative")
        self.physicalClock = physicalClock
        self.maximumOffsetNanoseconds = maximumOffsetNanoseconds
        self.last = last
    }

    /// The send or local event rule: the timestamp for a new event here.
    public mutating func now() -> HybridTimestamp {
        let physical = physicalClock.nowNanoseconds()
        if physical > last.wallNanoseconds {
            last = HybridTimestamp(wallNanoseconds: physical, logical: 0)
        } else {
            precondition(last.logical < UInt32.max, "logical counter exhausted")
            last.logical += 1
        }
        return last
    }

    /// The receive rule: the timestamp of the event of receiving a message
    /// stamped `remote`. Throws, leaving the clock unchanged, when `remote`
    /// is too far ahead of local physical time.
    public mutating func receive(_ remote: HybridTimestamp) throws(HybridLogicalClockError) -> HybridTimestamp {
        let physical = physicalClock.nowNanoseconds()
        let (ahead, overflow) = remote.wallNanoseconds.subtractingReportingOverflow(physical)
        if overflow || ahead > maximumOffsetNanoseconds {
            throw .remoteTooFarAhead(
                remote: remote, physicalNanoseconds: physical, maximumOffsetNanoseconds: maximumOffsetNanoseconds)
        }
        let wall = max(last.wallNanoseconds, remote.wallNanoseconds, physical)
        let logical: UInt32
        if wall == last.wallNanoseconds && wall == remote.wallNanoseconds {
            let highest = max(last.logical, remote.logical)
            guard highest < UInt32.max else { throw .logicalCounterExhausted(remote) }
            logical = highest + 1
        } else if wall == last.wallNanoseconds {
            guard last.logical < UInt32.max else { throw .logicalCounterExhausted(last) }
            logical = last.logical + 1
        } else if wall == remote.wallNanoseconds {
            guard remote.logical < UInt32.max else { throw .logicalCounterExhausted(remote) }
            logical = remote.logical + 1
        } else {
            logical = 0
        }
        last = HybridTimestamp(wallNanoseconds: wall, logical: logical)
        return last
    }
}
