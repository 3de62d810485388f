/// One node's local clock: true time plus a skew, a drift and any jumps.
///
/// `local(t) = t + offset + (t - anchor) * driftPerMillion / 1_000_000`, where
/// `anchor` is the true time at which the drift was last set. Jumps add to
/// `offset`. Timers are measured in local time elapsed at the drifted rate;
/// skew and jumps do not move timers already armed, as with a monotonic clock
/// under a wall-clock step.
@usableFromInline
struct NodeClock: Sendable {
    /// Drifts beyond ±10% are not clocks but bugs; the limit also keeps the
    /// arithmetic far from overflow.
    @usableFromInline static let driftPerMillionLimit: Int32 = 100_000

    @usableFromInline var offset: Int64 = 0
    @usableFromInline var driftPerMillion: Int32 = 0
    @usableFromInline var anchor: Int64 = 0

    @inlinable init() {}

    @inlinable func local(at trueTime: SimulationInstant) -> SimulationInstant {
        let elapsed = trueTime.nanoseconds &- anchor
        return SimulationInstant(nanoseconds: trueTime.nanoseconds &+ offset &+ Self.scale(elapsed, perMillion: Int64(driftPerMillion)))
    }

    /// The true duration in which this clock advances by `localDelay`.
    @inlinable func trueDelay(forLocal localDelay: SimulationDuration) -> SimulationDuration {
        let rate = 1_000_000 + Int64(driftPerMillion)
        let whole = localDelay.nanoseconds / rate * 1_000_000
        let part = localDelay.nanoseconds % rate * 1_000_000 / rate
        return SimulationDuration(nanoseconds: whole + part)
    }

    @inlinable mutating func set(skew: SimulationDuration, driftPerMillion: Int32, at trueTime: SimulationInstant) {
        precondition(abs(driftPerMillion) <= Self.driftPerMillionLimit, "clock drift beyond ±\(Self.driftPerMillionLimit) ppm")
        offset = skew.nanoseconds
        self.driftPerMillion = driftPerMillion
        anchor = trueTime.nanoseconds
    }

    @inlinable mutating func jump(by amount: SimulationDuration) {
        offset &+= amount.nanoseconds
    }

    /// `value * perMillion / 1_000_000` without overflowing for any run length.
    @inlinable static func scale(_ value: Int64, perMillion: Int64) -> Int64 {
        value / 1_000_000 * perMillion + value % 1_000_000 * perMillion / 1_000_000
    }
}
