extension Storage {
    /// The names of the files in a data directory, and what each name means.
    ///
    /// - `segment-<first index, 16 hex digits>.wal`: a log segment;
    /// - `snapshot-<index, 16 hex>-<term, 16 hex>.snap`: a snapshot;
    /// - `hardstate`: the hard state (term, vote, commit index);
    /// - `LOCK`: held with `flock` while a process has the directory open;
    /// - `snapshot-incoming.tmp`: the chunks of a snapshot being received
    ///   from the leader, removed on recovery like every temporary file;
    /// - any of the above followed by `.tmp`: a file being written, removed
    ///   on recovery (it was never renamed into place, so nothing relies on
    ///   it);
    /// - names starting with `.`: ignored (editors and file managers leave
    ///   them).
    ///
    /// Any other name is an ``StorageError/unexpectedFile(directory:name:)``:
    /// a directory holding files Concord did not write is probably the wrong
    /// directory.
    enum DataFileName: Equatable {
        case segment(firstIndex: UInt64)
        case snapshot(index: UInt64, term: UInt64)
        case hardState
        case lock
        case temporary(String)
        case hidden

        static let hardStateName = "hardstate"
        static let lockName = "LOCK"
        static let temporarySuffix = ".tmp"
        static let incomingSnapshotName = "snapshot-incoming.tmp"

        static func segmentName(firstIndex: UInt64) -> String {
            "segment-\(hex16(firstIndex)).wal"
        }

        static func snapshotName(index: UInt64, term: UInt64) -> String {
            "snapshot-\(hex16(index))-\(hex16(term)).snap"
        }

        /// What `name` is, or `nil` if Concord never writes such a name.
        static func classify(_ name: String) -> DataFileName? {
            if name.hasPrefix(".") { return .hidden }
            if name == hardStateName { return .hardState }
            if name == lockName { return .lock }
            if name == incomingSnapshotName { return .temporary(name) }
            if name.hasSuffix(temporarySuffix) {
                let base = String(name.dropLast(temporarySuffix.count))
                guard let kind = classify(base), kind != .lock, kind != .hidden else { return nil }
                if case .temporary = kind { return nil }
                return .temporary(name)
            }
            if name.hasPrefix("segment-") && name.hasSuffix(".wal") {
                let digits = name.dropFirst("segment-".count).dropLast(".wal".count)
                return parseHex16(digits).map { .segment(firstIndex: $0) }
            }
            if name.hasPrefix("snapshot-") && name.hasSuffix(".snap") {
                let fields = name.dropFirst("snapshot-".count).dropLast(".snap".count).split(separator: "-", omittingEmptySubsequences: false)
                guard fields.count == 2, let index = parseHex16(fields[0]), let term = parseHex16(fields[1]) else { return nil }
                return .snapshot(index: index, term: term)
            }
            return nil
        }

        static func hex16(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }

        static func parseHex16(_ text: Substring) -> UInt64? {
            guard text.count == 16, text.allSatisfy({ "0123456789abcdef".contains($0) }) else { return nil }
            return UInt64(text, radix: 16)
        }
    }
}
