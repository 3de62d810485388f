import ConcordServerCore
import Synchronization

/// The auth store as a member last applied it, shared by the node's actor,
/// which publishes each change, and the available store's actor, which
/// checks every Redis command against it (docs/redis.md, "Users and
/// permissions").
///
/// A reader asks ``changed(since:)`` with the version it last took: one
/// lock and a comparison while nothing changed, so a connection's command
/// does not copy the users. ``whenPublished(_:)`` lets a reader learn of a
/// change without waiting for its next command (to close the connections
/// of a deleted user).
final class AppliedAuth: Sendable {
    /// What tells two published stores apart: every change raises the
    /// revision except `AuthEnable`, which only sets the flag.
    struct Version: Hashable, Sendable {
        var isEnabled: Bool
        var revision: UInt64

        /// The version of `store`.
        init(_ store: AuthStore) {
            isEnabled = store.isEnabled
            revision = store.revision
        }
    }

    private let state: Mutex<(store: AuthStore, version: Version)>
    private let observer = Mutex<(@Sendable () -> Void)?>(nil)

    /// Starts with `store` (an empty store with auth disabled by default).
    init(_ store: AuthStore = AuthStore()) {
        state = Mutex((store, Version(store)))
    }

    /// The store last published and its version.
    var current: (store: AuthStore, version: Version) {
        state.withLock { $0 }
    }

    /// The store last published and its version, or nil when its version
    /// is still `version`.
    func changed(since version: Version?) -> (store: AuthStore, version: Version)? {
        state.withLock { $0.version == version ? nil : $0 }
    }

    /// Publishes `store` when its version differs from the last one's,
    /// then calls the observer (outside the lock).
    func publish(_ store: AuthStore) {
        let version = Version(store)
        let published: Bool = state.withLock {
            guard $0.version != version else { return false }
            $0 = (store, version)
            return true
        }
        guard published, let observer = observer.withLock({ $0 }) else { return }
        observer()
    }

    /// Calls `observer` after each change is published (replacing the
    /// one before). It runs on the publisher's thread: keep it short.
    func whenPublished(_ observer: @escaping @Sendable () -> Void) {
        self.observer.withLock { $0 = observer }
    }
}
