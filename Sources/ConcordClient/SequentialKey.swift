extension ConcordClient {
    /// Decimal digits of a sequential key's number, zero-padded so that key
    /// order is number order (ZooKeeper pads to 10; 20 fits any Int64).
    public static let sequenceDigits = 20
    /// Attempts before giving up when other creators keep winning the race.
    static let sequentialCreateAttemptsMax = 64

    /// Creates a key named `prefix` followed by the next number of the
    /// prefix's counter: ZooKeeper's sequential node. Numbers are never
    /// reused, even after keys are deleted: the counter lives in its own key,
    /// `\u{1}seq\u{1}<prefix>` (outside the prefix, so ranges over the prefix
    /// see only the sequential keys), and the counter and the new key are
    /// written in one transaction that checks the counter did not move.
    /// - Parameters:
    ///   - lease: attach the key to a lease (a session's, for an ephemeral
    ///     sequential key), or 0.
    /// - Returns: the new key and its number.
    public func createSequential(prefix: String, value: String, lease: Int64 = 0)
        async throws(ConcordClientError) -> (key: String, number: Int64)
    {
        let counterKey = "\u{1}seq\u{1}" + prefix
        for _ in 0..<Self.sequentialCreateAttemptsMax {
            let counter = try await get(counterKey)
            let current = counter.flatMap { Int64($0.stringValue) } ?? 0
            let next = current + 1
            let digits = String(next)
            let key = prefix + String(repeating: "0", count: max(0, Self.sequenceDigits - digits.count)) + digits
            let result = try await txn()
                .when(.version(counterKey, .equal, counter?.version ?? 0))
                .then(.put(counterKey, String(next)), .put(key, value, lease: lease))
                .commit()
            if result.succeeded { return (key, next) }
        }
        throw .rpc(code: .aborted, message: "sequential create under \(prefix) lost \(Self.sequentialCreateAttemptsMax) races in a row")
    }
}
