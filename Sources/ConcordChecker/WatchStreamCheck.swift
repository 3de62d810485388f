/// etcd's watch guarantees as a client can check them (etcd's API guarantees
/// for watch: ordered, reliable, atomic):
/// - every event of a watch is delivered once, in revision order, also
///   across the watch being resumed on another member from the next
///   revision (after a leader change or a member's crash);
/// - every acknowledged write to a watched key at a revision the watch has
///   covered reaches it, unless the revision was compacted away before the
///   watch got there (then the member cancels with the compaction revision);
/// - watches agree: two watches that saw an event at one revision saw the
///   same event.
///
/// A check over plain values, so that any simulation or recorded run can use it.
public enum WatchStreamCheck {
    /// One event as a watcher received it.
    public struct Event: Sendable, Hashable {
        public var revision: Int64
        public var key: String
        public var isDelete: Bool
        public var value: String

        public init(revision: Int64, key: String, isDelete: Bool, value: String) {
            self.revision = revision
            self.key = key
            self.isDelete = isDelete
            self.value = value
        }
    }

    /// One watcher's view, over all its resumptions.
    public struct Stream: Sendable, Hashable {
        /// Names the stream in reports.
        public var name: String
        /// The first revision the watcher asked for.
        public var startRevision: Int64
        /// The events received, in the order received.
        public var events: [Event] = []
        /// Revisions skipped because they were compacted before the watcher
        /// got there (`from..<compactRevision` of each cancellation).
        public var compacted: [Range<Int64>] = []
        /// The highest revision the watcher knows it has every event up to
        /// (its last event's or a progress notification's).
        public var coveredThrough: Int64 = 0
        /// Cancellations for compaction that named a compaction revision at
        /// or below the revision asked for (etcd names a higher one).
        public var badCancellations: [String] = []

        public init(name: String, startRevision: Int64) {
            self.name = name
            self.startRevision = startRevision
        }
    }

    /// What went wrong, empty when the guarantees held.
    /// - Parameters:
    ///   - streams: every watcher's view.
    ///   - acknowledged: writes to watched keys, acknowledged with their revisions.
    ///   - uniqueValues: true when every put of the workload writes a value
    ///     no other put writes: a value seen at two revisions is then a write
    ///     applied twice.
    public static func violations(streams: [Stream], acknowledged: [Event], uniqueValues: Bool = false) -> [String] {
        var found: [String] = []
        var agreed: [Int64: Event] = [:]
        var revisionOfValue: [String: Int64] = [:]
        for stream in streams {
            var previous: Int64 = 0
            var seen: [Int64: Event] = [:]
            for event in stream.events {
                if event.revision <= previous {
                    found.append("\(stream.name): event at revision \(event.revision) after \(previous) (out of order or twice)")
                }
                previous = max(previous, event.revision)
                seen[event.revision] = event
                if uniqueValues && !event.isDelete {
                    if let first = revisionOfValue[event.value], first != event.revision {
                        found.append("\(stream.name): the put of \(event.value) to \(event.key) applied twice, at revisions \(first) and \(event.revision)")
                    }
                    revisionOfValue[event.value] = min(revisionOfValue[event.value] ?? .max, event.revision)
                }
                if let other = agreed[event.revision], other != event {
                    found.append("\(stream.name): revision \(event.revision) is \(event), another watcher saw \(other)")
                } else {
                    agreed[event.revision] = event
                }
            }
            found += stream.badCancellations.map { "\(stream.name): \($0)" }
            for write in acknowledged
            where write.revision >= stream.startRevision && write.revision <= stream.coveredThrough
                && !stream.compacted.contains(where: { $0.contains(write.revision) }) {
                guard let event = seen[write.revision] else {
                    found.append("\(stream.name): missed the acknowledged write of \(write.key) at revision \(write.revision)")
                    continue
                }
                if event != write {
                    found.append("\(stream.name): revision \(write.revision) delivered as \(event), written as \(write)")
                }
            }
        }
        return Array(found.prefix(10))
    }
}
