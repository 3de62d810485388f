/// Group membership as a prefix of ephemeral keys: each member writes
/// `<prefix><member>` owned by its session, and leaves by closing the session
/// or by dying (its lease expires).
public struct Group: Sendable {
    /// The client the group is read through.
    public let client: ConcordClient
    /// The key prefix (ends with `/`).
    public let prefix: String

    /// The group under `prefix`.
    public init(client: ConcordClient, prefix: String) {
        self.client = client
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    /// Joins as `member` with `value`, owned by `session`.
    /// - Throws: ``ConcordClientError/keyExists(_:)`` when the name is taken.
    public func join(_ member: String, value: String, session: Session) async throws(ConcordClientError) {
        guard !member.isEmpty, !member.contains("/") else { throw .invalidArgument("member name must be non-empty without '/'") }
        try await session.createEphemeral(prefix + member, value: value)
    }

    /// Leaves the group (the session stays open).
    public func leave(_ member: String) async throws(ConcordClientError) {
        try await client.delete(.key(prefix + member))
    }

    /// The current members and their values.
    public func members() async throws(ConcordClientError) -> [String: String] {
        let result = try await client.get(.prefix(prefix))
        return Dictionary(result.kvs.map { (String($0.key.dropFirst(prefix.count)), $0.stringValue) }, uniquingKeysWith: { $1 })
    }

    /// The members now, then after every change.
    public func watchMembers() -> AsyncThrowingStream<[String: String], any Error> {
        let snapshots = client.watchPrefixSnapshots(prefix)
        let prefix = self.prefix
        let (stream, continuation) = AsyncThrowingStream<[String: String], any Error>.makeStream()
        let task = Task {
            do {
                for try await snapshot in snapshots {
                    continuation.yield(Dictionary(
                        snapshot.entries.map { (String($0.key.dropFirst(prefix.count)), $0.value.stringValue) },
                        uniquingKeysWith: { $1 }))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
