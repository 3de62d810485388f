/// A point in virtual time: nanoseconds since the start of a simulation run.
///
/// The simulator's true time is one of these; each node's local clock (with
/// skew, drift and jumps) is another, read through `NodeContext.now`.
public struct SimulationInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the start of the run (local clocks may go negative).
    public var nanoseconds: Int64

    /// Creates the instant `nanoseconds` after the start of the run.
    @inlinable public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The start of every run.
    public static let zero = SimulationInstant(nanoseconds: 0)

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    @inlinable public static func + (lhs: Self, rhs: SimulationDuration) -> Self {
        Self(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    @inlinable public static func - (lhs: Self, rhs: SimulationDuration) -> Self {
        Self(nanoseconds: lhs.nanoseconds &- rhs.nanoseconds)
    }

    /// The duration from `rhs` to `lhs`.
    @inlinable public static func - (lhs: Self, rhs: Self) -> SimulationDuration {
        SimulationDuration(nanoseconds: lhs.nanoseconds &- rhs.nanoseconds)
    }

    @inlinable public static func += (lhs: inout Self, rhs: SimulationDuration) {
        lhs = lhs + rhs
    }

    /// Seconds with six decimals (microseconds), for example `1.250000`.
    public var description: String {
        SimulationDuration(nanoseconds: nanoseconds).secondsText
    }
}

/// A length of virtual time, in nanoseconds.
public struct SimulationDuration: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The length in nanoseconds (negative for a backward clock jump).
    public var nanoseconds: Int64

    /// Creates a duration of `nanoseconds`.
    @inlinable public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// No time at all.
    public static let zero = SimulationDuration(nanoseconds: 0)

    @inlinable public static func nanoseconds(_ value: Int64) -> Self { Self(nanoseconds: value) }
    @inlinable public static func microseconds(_ value: Int64) -> Self { Self(nanoseconds: value * 1_000) }
    @inlinable public static func milliseconds(_ value: Int64) -> Self { Self(nanoseconds: value * 1_000_000) }
    @inlinable public static func seconds(_ value: Int64) -> Self { Self(nanoseconds: value * 1_000_000_000) }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    @inlinable public static func + (lhs: Self, rhs: Self) -> Self { Self(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds) }
    @inlinable public static func - (lhs: Self, rhs: Self) -> Self { Self(nanoseconds: lhs.nanoseconds &- rhs.nanoseconds) }
    @inlinable public static func * (lhs: Self, rhs: Int64) -> Self { Self(nanoseconds: lhs.nanoseconds &* rhs) }
    @inlinable public static prefix func - (value: Self) -> Self { Self(nanoseconds: 0 &- value.nanoseconds) }

    /// Seconds with six decimals (microseconds), for example `0.004000`.
    public var description: String { secondsText }

    /// The most bytes `secondsText` writes: up to 20 digits of microseconds
    /// (a 64-bit magnitude has at most 20 decimal digits), a point and a sign.
    static let secondsTextBytesMax = 22

    var secondsText: String {
        // Built digit by digit from the right on the stack, with no array and
        // no reversal: the simulator stamps every trace line with it.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.secondsTextBytesMax) { scratch in
            var magnitude = nanoseconds.magnitude / 1_000
            var start = scratch.count
            var position = 0
            repeat {
                if position == 6 {
                    start -= 1
                    scratch[start] = UInt8(ascii: ".")
                }
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                position += 1
            } while magnitude != 0 || position <= 6
            if nanoseconds < 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: scratch[start...]), as: UTF8.self)
        }
    }
}
