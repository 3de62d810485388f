/// The simple tokens a member knows, as etcd's simple token provider
/// keeps them: assigned when an `assignToken` entry is applied, in memory
/// only, each valid for a time to live (on this member's clock) that every
/// use renews.
///
/// Pure: the shell draws the token's random text; the core passes its clock.
public struct SimpleTokens: Sendable {
    struct Entry: Sendable {
        var caller: AuthCaller
        /// The password hash when issued: a changed password ends the token.
        var passwordHash: String
        var expiresMilliseconds: Int64
    }

    /// How long a token lives without use (etcd's default, 5 minutes).
    public let timeToLiveMilliseconds: Int64
    /// The most tokens held; issuing more drops the one expiring first.
    public let tokensMax: Int
    private var entries: [String: Entry] = [:]

    /// An empty table.
    public init(timeToLiveMilliseconds: Int64 = 300_000, tokensMax: Int = 65_536) {
        precondition(timeToLiveMilliseconds > 0 && tokensMax > 0)
        self.timeToLiveMilliseconds = timeToLiveMilliseconds
        self.tokensMax = tokensMax
    }

    /// The number of tokens held.
    public var count: Int { entries.count }

    /// Records a token issued to `caller`.
    public mutating func issue(_ token: String, to caller: AuthCaller, passwordHash: String, nowMilliseconds: Int64) {
        forgetExpired(nowMilliseconds)
        if entries.count >= tokensMax, let oldest = entries.min(by: { $0.value.expiresMilliseconds < $1.value.expiresMilliseconds }) {
            entries.removeValue(forKey: oldest.key)
        }
        entries[token] = Entry(caller: caller, passwordHash: passwordHash, expiresMilliseconds: nowMilliseconds + timeToLiveMilliseconds)
    }

    /// The caller a token stands for, renewing it; nil for a token that
    /// was never issued, has expired, or whose user was deleted or changed
    /// password since (etcd invalidates those).
    public mutating func resolve(_ token: String, store: AuthStore, nowMilliseconds: Int64) -> AuthCaller? {
        guard var entry = entries[token] else { return nil }
        guard entry.expiresMilliseconds > nowMilliseconds,
            let user = store.users[entry.caller.name], user.passwordHash == entry.passwordHash
        else {
            entries.removeValue(forKey: token)
            return nil
        }
        entry.expiresMilliseconds = nowMilliseconds + timeToLiveMilliseconds
        entries[token] = entry
        return entry.caller
    }

    /// Forgets every token (auth was disabled).
    public mutating func removeAll() {
        entries.removeAll()
    }

    private mutating func forgetExpired(_ now: Int64) {
        entries = entries.filter { $0.value.expiresMilliseconds > now }
    }
}
