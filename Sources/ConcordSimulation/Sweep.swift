/// Runs one check over many seeds and collects the seeds that fail.
public struct Sweep {
    /// Runs `body` for every seed in `seeds`, in order.
    ///
    /// - Parameters:
    ///   - seeds: the seeds to try.
    ///   - failuresMax: stop early after this many failures (nil: never).
    ///   - progress: called after each seed with the number of seeds done and
    ///     the number of failures so far.
    ///   - body: runs one seed; returns true when every check passed.
    /// - Returns: the failing seeds, in order.
    public static func run(
        seeds: Range<UInt64>,
        failuresMax: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil,
        body: (UInt64) -> Bool
    ) -> [UInt64] {
        var failures: [UInt64] = []
        var done = 0
        for seed in seeds {
            if !body(seed) { failures.append(seed) }
            done += 1
            progress?(done, failures.count)
            if let failuresMax, failures.count >= failuresMax { break }
        }
        return failures
    }
}
