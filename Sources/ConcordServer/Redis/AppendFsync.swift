/// When the available store syncs its write-ahead log: Redis's
/// `appendfsync`, with Redis's three meanings (`--redis-appendfsync`).
///
/// Whatever the choice, a record is written to the log (handed to the
/// operating system) before any message or reply that depends on it leaves
/// the member, so a process killed with `kill -9` loses nothing it
/// acknowledged; the choice decides what a power cut or a kernel crash may
/// lose.
public enum AppendFsync: String, Sendable, Hashable, CaseIterable {
    /// Sync before acknowledging: an output's messages and replies leave
    /// only once its records are synced (group commit shares one sync
    /// among the outputs waiting for it).
    case always
    /// Sync at most once a second in the background: a power cut may lose
    /// the last second or so of acknowledged writes.
    case everysec
    /// Never sync the records explicitly: the operating system writes them
    /// back when it chooses (segment rolls still sync).
    case no

    /// Redis's default.
    public static let `default` = AppendFsync.everysec

    /// Parses the flag's value.
    /// - Throws: `ServerConfigurationError` naming the accepted values.
    public static func parse(_ text: String) throws(ServerConfigurationError) -> AppendFsync {
        guard let value = AppendFsync(rawValue: text) else {
            throw .invalid("--redis-appendfsync must be always, everysec or no (got '\(text)')")
        }
        return value
    }
}
