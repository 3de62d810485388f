import ConcordFoundation
extension KVStateMachine {
    /// The length of the `snapshot()` encoding at the start of `bytes`,
    /// which may continue with other bytes (a saved snapshot file pads it).
    /// The encoding delimits itself, so the length is found by walking its
    /// fields without decoding the store.
    /// - Throws: `KVDecodingError` when `bytes` does not start with a
    ///   snapshot's fields (`init(snapshot:)` checks the contents).
    public static func snapshotLength(atStartOf bytes: [UInt8]) throws(KVDecodingError) -> Int {
        var reader = BinaryReader(bytes)
        let version = try reader.byte()
        guard version == snapshotFormatVersion else { throw .unsupportedFormatVersion(version) }
        _ = try reader.data()
        for _ in 0..<(try reader.count(minimumBytes: 2)) {
            _ = try reader.signed()
            _ = try reader.signed()
        }
        return bytes.count - reader.remainingCount
    }
}
