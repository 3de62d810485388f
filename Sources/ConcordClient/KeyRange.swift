import Foundation

/// Which keys a request covers, in etcd's terms of a key and a range end.
public enum KeyRange: Sendable, Hashable {
    /// Exactly one key.
    case key(String)
    /// Every key that starts with the prefix.
    case prefix(String)
    /// Keys from `start` (inclusive) to `end` (exclusive).
    case range(from: String, to: String)
    /// Every key greater than or equal to the key.
    case fromKey(String)

    /// The request's `key` field.
    var keyBytes: Data {
        switch self {
        case let .key(key), let .prefix(key), let .range(key, _), let .fromKey(key): Data(key.utf8)
        }
    }

    /// The request's `range_end` field: empty for one key, `\0` for "to the
    /// end", the prefix with its last byte incremented for a prefix.
    var rangeEndBytes: Data {
        switch self {
        case .key: Data()
        case let .prefix(prefix): Self.prefixEnd(Array(prefix.utf8))
        case let .range(_, end): Data(end.utf8)
        case .fromKey: Data([0])
        }
    }

    /// etcd's `GetPrefixRangeEnd`: the smallest key greater than every key
    /// with the prefix, or `\0` (all keys) when no such key exists.
    static func prefixEnd(_ prefix: [UInt8]) -> Data {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return Data(end)
            }
            end.removeLast()
        }
        return Data([0])
    }
}
