/// A source of physical time, in nanoseconds since an epoch the caller
/// chooses (the Unix epoch in a real process, the start of the run in the
/// simulator).
///
/// Clocks in Concord never read the system clock themselves: the shell
/// injects one of these. A real process passes a clock backed by the
/// operating system; the simulator and the tests pass ``ManualClock`` and
/// move it by hand, with any skew they like.
public protocol PhysicalClock: Sendable {
    /// The current reading, in nanoseconds.
    func nowNanoseconds() -> Int64
}

/// A physical clock that reads whatever it was last set to.
public struct ManualClock: PhysicalClock, Hashable {
    /// The current reading, in nanoseconds.
    public var nanoseconds: Int64

    /// A clock reading `nanoseconds`.
    public init(nanoseconds: Int64 = 0) {
        self.nanoseconds = nanoseconds
    }

    public func nowNanoseconds() -> Int64 {
        nanoseconds
    }

    /// Moves the reading forward (or backward, for a negative amount).
    public mutating func advance(byNanoseconds nanoseconds: Int64) {
        self.nanoseconds += nanoseconds
    }
}
