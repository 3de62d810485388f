/// Keeps the last few synchronization samples from one source and picks the
/// trustworthy one, after NTP's clock filter (Mills, RFC 5905 §10): the
/// sample with the lowest round-trip delay has the smallest error bound, so
/// its offset is used.
///
/// Samples with a negative delay, or a delay above `maximumDelayNanoseconds`,
/// are rejected with a typed error and do not enter the window.
public struct ClockSampleFilter: Sendable {
    /// How many accepted samples the window keeps (NTP uses 8).
    public let windowCount: Int
    /// The largest accepted round-trip delay, in nanoseconds.
    public let maximumDelayNanoseconds: Int64
    /// The accepted samples, oldest first, at most `windowCount`.
    public private(set) var window: [ClockSample] = []

    /// An empty filter.
    public init(windowCount: Int = 8, maximumDelayNanoseconds: Int64) {
        precondition(windowCount > 0, "the window must hold at least one sample")
        precondition(maximumDelayNanoseconds >= 0, "maximum delay must not be negative")
        self.windowCount = windowCount
        self.maximumDelayNanoseconds = maximumDelayNanoseconds
    }

    /// Adds a sample, or rejects it and changes nothing.
    public mutating func add(_ sample: ClockSample) throws(ClockSampleError) {
        let delay = try sample.delayNanoseconds()
        guard delay <= maximumDelayNanoseconds else {
            throw .delayTooLarge(delayNanoseconds: delay, maximumNanoseconds: maximumDelayNanoseconds)
        }
        _ = try sample.offsetInterval()
        window.append(sample)
        if window.count > windowCount {
            window.removeFirst(window.count - windowCount)
        }
    }

    /// The sample with the lowest delay in the window (the most recent one
    /// among equals), or nil when the window is empty.
    public var best: ClockSample? {
        var chosen: (sample: ClockSample, delay: Int64)?
        for sample in window {
            // Every sample in the window passed `add`, so these do not throw.
            guard let delay = try? sample.delayNanoseconds() else { continue }
            if chosen == nil || delay <= chosen!.delay {
                chosen = (sample, delay)
            }
        }
        return chosen?.sample
    }
}
