/// Redis's reading of integers (`string2ll` in util.c): an optional `-`,
/// then digits without a leading zero (or a lone `0`), nothing else: no
/// `+`, no spaces, at most 20 bytes, within `Int64`.
enum RedisInteger {
    /// The most bytes an integer may have (Redis's `LONG_STR_SIZE` is 21
    /// with the terminating NUL).
    static let bytesMax = 20

    /// The integer these bytes spell, or nil.
    static func parse(_ bytes: some Collection<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= bytesMax else { return nil }
        var index = bytes.startIndex
        if bytes.count == 1, bytes[index] == UInt8(ascii: "0") { return 0 }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index = bytes.index(after: index)
            guard index != bytes.endIndex else { return nil }
        }
        guard (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
        var magnitude: UInt64 = 0
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            magnitude = sum
            index = bytes.index(after: index)
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}
