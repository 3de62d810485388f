/// Why a synchronization sample was rejected.
public enum ClockSampleError: Error, Hashable, Sendable {
    /// The round trip took less than no time: the server claims to have
    /// spent longer than the whole exchange. One of the timestamps is wrong.
    case negativeDelay(delayNanoseconds: Int64)
    /// The round trip took longer than the filter accepts; its offset could
    /// be off by up to half of it.
    case delayTooLarge(delayNanoseconds: Int64, maximumNanoseconds: Int64)
    /// A timestamp difference does not fit in 64 bits.
    case arithmeticOverflow
}

/// One NTP exchange (Mills, RFC 5905 §8): the client sends at `t1` (its
/// clock), the server receives at `t2` and replies at `t3` (its clock), the
/// client receives at `t4` (its clock).
///
/// - offset θ = ((t2 − t1) + (t3 − t4)) / 2: how far the server's clock is
///   ahead of the client's, exact when both legs take equally long;
/// - delay δ = (t4 − t1) − (t3 − t2): the network round trip.
/// Whatever the asymmetry of the legs, the true offset lies in
/// `[θ − δ/2, θ + δ/2]` (see ``offsetInterval``).
public struct ClockSample: Hashable, Sendable, Codable {
    /// Client's send time, client clock.
    public var t1: Int64
    /// Server's receive time, server clock.
    public var t2: Int64
    /// Server's reply time, server clock.
    public var t3: Int64
    /// Client's receive time, client clock.
    public var t4: Int64

    /// Creates a sample from its four timestamps, in nanoseconds.
    public init(t1: Int64, t2: Int64, t3: Int64, t4: Int64) {
        self.t1 = t1
        self.t2 = t2
        self.t3 = t3
        self.t4 = t4
    }

    /// The round-trip delay δ; throws for a negative delay.
    public func delayNanoseconds() throws(ClockSampleError) -> Int64 {
        let roundTrip = Int128(t4) - Int128(t1)
        let serverTime = Int128(t3) - Int128(t2)
        let delay = roundTrip - serverTime
        guard let result = Int64(exactly: delay) else { throw .arithmeticOverflow }
        guard result >= 0, serverTime >= 0 else { throw .negativeDelay(delayNanoseconds: result) }
        return result
    }

    /// The offset θ of the server's clock relative to the client's.
    public func offsetNanoseconds() throws(ClockSampleError) -> Int64 {
        let sum = (Int128(t2) - Int128(t1)) + (Int128(t3) - Int128(t4))
        guard let result = Int64(exactly: sum / 2) else { throw .arithmeticOverflow }
        return result
    }

    /// The interval certain to contain the true offset, `[θ − δ/2, θ + δ/2]`.
    ///
    /// The request reached the server at server time `t2`, when the client's
    /// clock read at least `t1`, so the offset is at most `t2 − t1`; the reply
    /// left at server time `t3`, when the client's clock read at most `t4`,
    /// so the offset is at least `t3 − t4`. The width is exactly δ.
    public func offsetInterval() throws(ClockSampleError) -> UncertaintyInterval {
        _ = try delayNanoseconds()
        guard let lower = Int64(exactly: Int128(t3) - Int128(t4)),
            let upper = Int64(exactly: Int128(t2) - Int128(t1))
        else { throw .arithmeticOverflow }
        return UncertaintyInterval(earliestNanoseconds: lower, latestNanoseconds: upper)
    }
}
