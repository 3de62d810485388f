/// A closed interval of physical time, `[earliest, latest]`, in nanoseconds,
/// that contains the true time (as `TT.now()` in Spanner, Corbett et al.
/// 2012, §3).
public struct UncertaintyInterval: Hashable, Sendable, Codable, CustomStringConvertible {
    /// No earlier than the true time.
    public var earliestNanoseconds: Int64
    /// No later than the true time.
    public var latestNanoseconds: Int64

    /// Creates `[earliest, latest]`.
    public init(earliestNanoseconds: Int64, latestNanoseconds: Int64) {
        precondition(earliestNanoseconds <= latestNanoseconds, "interval ends before it starts")
        self.earliestNanoseconds = earliestNanoseconds
        self.latestNanoseconds = latestNanoseconds
    }

    /// The width of the interval (twice the uncertainty ε).
    public var widthNanoseconds: Int64 { latestNanoseconds - earliestNanoseconds }

    /// True when `nanoseconds` lies in the interval.
    public func contains(_ nanoseconds: Int64) -> Bool {
        earliestNanoseconds <= nanoseconds && nanoseconds <= latestNanoseconds
    }

    public var description: String { "[\(earliestNanoseconds), \(latestNanoseconds)]" }
}
