extension RangeRequest {
    /// The range end that selects every key starting with `prefix`: the
    /// prefix with its last byte below 0xff incremented and what follows it
    /// dropped, or `[0]` (every key from `prefix` on) when every byte is
    /// 0xff, as etcd's clients compute it for `--prefix`.
    public static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// A request for every key starting with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> RangeRequest {
        RangeRequest(key: prefix, rangeEnd: prefixEnd(prefix))
    }
}
