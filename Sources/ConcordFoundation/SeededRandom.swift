/// Concord's seeded pseudo-random generator: xoshiro256** seeded through
/// SplitMix64.
///
/// Every random choice of a simulated run derives from one of these, so a
/// run is fully determined by its seed; protocol cores take one at
/// construction instead of reading the system's generator. The generator is integer-only (no floating point
/// anywhere), so the same seed gives the same stream on every platform.
///
/// - xoshiro256** is by David Blackman and Sebastiano Vigna, "Scrambled
///   Linear Pseudorandom Number Generators" (2018).
/// - SplitMix64 (Steele, Lea and Flood, "Fast Splittable Pseudorandom Number
///   Generators", 2014) expands the 64-bit seed into the 256-bit state, as
///   the xoshiro authors recommend; it never yields the all-zero state.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var state0: UInt64
    @usableFromInline var state1: UInt64
    @usableFromInline var state2: UInt64
    @usableFromInline var state3: UInt64

    /// One million: the denominator of every `perMillion` rate.
    public static let partsPerMillion: UInt64 = 1_000_000

    /// Creates a generator whose whole stream is determined by `seed`.
    @inlinable public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        state0 = splitMix.next()
        state1 = splitMix.next()
        state2 = splitMix.next()
        state3 = splitMix.next()
    }

    /// The next 64 uniformly distributed bits.
    @inlinable public mutating func next() -> UInt64 {
        let result = rotateLeft(state1 &* 5, by: 7) &* 9
        let shifted = state1 << 17
        state2 ^= state0
        state3 ^= state1
        state1 ^= state2
        state0 ^= state3
        state2 ^= shifted
        state3 = rotateLeft(state3, by: 45)
        return result
    }

    /// A uniformly distributed integer in `0..<bound`, without modulo bias.
    ///
    /// Uses Lemire's multiply-and-reject method ("Fast Random Integer
    /// Generation in an Interval", 2019): the high half of a 128-bit product
    /// is the draw, and the rare low halves that would bias it are rejected.
    ///
    /// - Parameter bound: the exclusive upper bound; must be positive.
    /// - Returns: an integer `x` with `0 <= x < bound`.
    @inlinable public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "SeededRandom.next(below:) needs a positive bound")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            // The number of low halves to reject: 2^64 mod bound.
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniformly distributed integer in `range`, without modulo bias.
    @inlinable public mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(bitPattern: range.upperBound &- range.lowerBound)
        if width == UInt64.max {
            return Int64(bitPattern: next())
        }
        return range.lowerBound &+ Int64(bitPattern: next(below: width + 1))
    }

    /// A uniformly distributed index in `0..<count`.
    ///
    /// - Parameter count: the number of choices; must be positive.
    @inlinable public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "SeededRandom.index(below:) needs a positive count")
        return Int(next(below: UInt64(count)))
    }

    /// True with probability `perMillion / 1_000_000`.
    ///
    /// `0` is never true and `1_000_000` (or more) is always true; neither
    /// extreme draws from the stream, so switching a fault fully on or off
    /// does not shift the rest of the run's random choices.
    @inlinable public mutating func chance(perMillion: UInt32) -> Bool {
        if perMillion == 0 { return false }
        if UInt64(perMillion) >= Self.partsPerMillion { return true }
        return next(below: Self.partsPerMillion) < UInt64(perMillion)
    }

    /// A new generator whose stream is independent of this one's remainder,
    /// for handing a sub-component (a node, a fault plan) its own stream.
    ///
    /// Advances this generator by one draw.
    @inlinable public mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }

    @inlinable func rotateLeft(_ value: UInt64, by count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}

/// SplitMix64 (Steele, Lea and Flood, "Fast Splittable Pseudorandom Number
/// Generators", 2014): a tiny seeded generator with a 64-bit state.
///
/// It expands a seed into ``SeededRandom``'s state, and serves on its own
/// where a short, cheap stream is enough (a benchmark's key choice, a
/// randomized test history). Equal seeds give equal streams everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// A generator starting from `seed`.
    @inlinable public init(seed: UInt64) {
        self.state = seed
    }

    /// The next 64 bits.
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
