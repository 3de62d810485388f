/// Marzullo's algorithm (K. Marzullo, "Maintaining the Time in a Distributed
/// System", 1984; the basis of NTP's intersection algorithm): given one
/// interval per time source, each claiming to contain the true value, find
/// the smallest interval consistent with the largest number of sources.
public enum Marzullo {
    /// The best agreement found.
    public struct Agreement: Hashable, Sendable {
        /// How many source intervals contain all of `interval`.
        public var sourceCount: Int
        /// The intersection of those sources' intervals.
        public var interval: UncertaintyInterval
    }

    /// The interval on which the most sources agree, or nil for no sources.
    ///
    /// Intervals are closed: two sources that only touch at a point agree on
    /// that point. Among several regions with the same maximal count the
    /// leftmost is returned. Runs in O(n log n).
    public static func intersect(_ intervals: [UncertaintyInterval]) -> Agreement? {
        guard !intervals.isEmpty else { return nil }
        // An edge is (offset, type): type −1 opens an interval, +1 closes it.
        // Sorting opens before closes at equal offsets makes touching closed
        // intervals overlap.
        var edges: [(offset: Int64, type: Int)] = []
        edges.reserveCapacity(intervals.count * 2)
        for interval in intervals {
            edges.append((interval.earliestNanoseconds, -1))
            edges.append((interval.latestNanoseconds, 1))
        }
        edges.sort { ($0.offset, $0.type) < ($1.offset, $1.type) }
        var best = 0
        var count = 0
        var bestStart: Int64 = 0
        var bestEnd: Int64 = 0
        for (index, edge) in edges.enumerated() {
            count -= edge.type
            if count > best {
                best = count
                bestStart = edge.offset
                // The next edge is a close: the region ends there.
                bestEnd = edges[index + 1].offset
            }
        }
        return Agreement(
            sourceCount: best, interval: UncertaintyInterval(earliestNanoseconds: bestStart, latestNanoseconds: bestEnd))
    }
}
