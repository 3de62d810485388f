extension Session {
    /// Creates `key` with `value`, owned by this session: ZooKeeper's
    /// ephemeral node. The key is deleted when the session ends.
    /// - Throws: ``ConcordClientError/keyExists(_:)`` when the key exists
    ///   (whoever owns it); nothing is written then.
    /// - Returns: the key's create revision.
    @discardableResult
    public func createEphemeral(_ key: String, value: String) async throws(ConcordClientError) -> Int64 {
        if isLost { throw .sessionClosed }
        let result = try await client.txn()
            .when(.absent(key))
            .then(.put(key, value, lease: lease))
            .commit()
        guard result.succeeded else { throw .keyExists(key) }
        return result.revision
    }
}
