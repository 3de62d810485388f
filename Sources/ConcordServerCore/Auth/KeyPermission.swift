import ConcordFoundation

/// What a permission allows on its keys (etcd's `authpb.Permission.Type`).
public enum KeyAccess: UInt8, Sendable, Hashable, CaseIterable {
    case read = 0
    case write = 1
    case readWrite = 2

    /// True when a permission of this kind allows `access`.
    public func allows(_ access: KeyAccess) -> Bool {
        self == .readWrite || self == access
    }
}

/// One key or key range a role may read, write or both (etcd's
/// `authpb.Permission`).
///
/// `rangeEnd` follows etcd's range convention: empty for the one key
/// `key`, `[0]` for every key from `key` on, otherwise the exclusive end.
public struct KeyPermission: Sendable, Hashable {
    /// What the permission allows.
    public var access: KeyAccess
    /// The first key (never empty).
    public var key: [UInt8]
    /// Empty, `[0]`, or an end after `key`.
    public var rangeEnd: [UInt8]

    /// Creates a permission.
    public init(access: KeyAccess, key: [UInt8], rangeEnd: [UInt8] = []) {
        self.access = access
        self.key = key
        self.rangeEnd = rangeEnd
    }

    /// True for a range etcd accepts in a permission: a key, and a range
    /// end that is empty, `[0]`, or after the key.
    public var isValidRange: Bool {
        guard !key.isEmpty else { return false }
        return rangeEnd.isEmpty || rangeEnd == [0] || key.lexicographicallyPrecedes(rangeEnd)
    }

    /// The half-open interval of keys the permission covers.
    var interval: KeyInterval { KeyInterval(key: key, rangeEnd: rangeEnd) }

    /// Etcd's order of a role's permissions: by key, then range end.
    static func precedes(_ left: KeyPermission, _ right: KeyPermission) -> Bool {
        left.key != right.key ? left.key.lexicographicallyPrecedes(right.key) : left.rangeEnd.lexicographicallyPrecedes(right.rangeEnd)
    }

    func write(to writer: inout BinaryWriter) {
        writer.writeByte(access.rawValue)
        writer.writeFixedLengthBytes(key)
        writer.writeFixedLengthBytes(rangeEnd)
    }

    init(reading reader: inout BinaryReader) throws(WireError) {
        let byte = try reader.wireByte()
        guard let access = KeyAccess(rawValue: byte) else { throw .invalid("unknown permission type \(byte)") }
        self.init(access: access, key: try reader.wireBytes(), rangeEnd: try reader.wireBytes())
    }
}

/// A half-open interval of keys `[start, end)`; a nil end is unbounded.
struct KeyInterval: Sendable, Hashable {
    var start: [UInt8]
    var end: [UInt8]?

    /// The keys a request or permission with etcd's `key` and `range_end`
    /// names: one key for an empty end, every key from `key` on for `[0]`.
    init(key: [UInt8], rangeEnd: [UInt8]) {
        start = key
        if rangeEnd.isEmpty {
            end = key + [0]
        } else if rangeEnd == [0] {
            end = nil
        } else {
            end = rangeEnd
        }
    }

    /// True when `intervals` together cover every key of this interval
    /// (an empty interval is covered by anything).
    ///
    /// Walks a cursor from `start`: any interval that begins at or before
    /// the cursor and ends after it moves it on, until it passes `end` or
    /// nothing moves it.
    func isCovered(by intervals: [KeyInterval]) -> Bool {
        if let end, !start.lexicographicallyPrecedes(end) { return true }
        let sorted = intervals.sorted { $0.start.lexicographicallyPrecedes($1.start) }
        var cursor = start
        for interval in sorted {
            guard !cursor.lexicographicallyPrecedes(interval.start) else { break }
            guard let intervalEnd = interval.end else { return true }
            if cursor.lexicographicallyPrecedes(intervalEnd) { cursor = intervalEnd }
            if let end, !cursor.lexicographicallyPrecedes(end) { return true }
        }
        return false
    }
}
