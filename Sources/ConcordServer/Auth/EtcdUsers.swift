import ConcordRedis
import ConcordServerCore

/// The etcd auth store as the Redis face's users and permissions
/// (docs/redis.md, "Users and permissions"): while etcd auth is enabled,
/// a Redis connection must authenticate as an etcd user, and each key it
/// names is checked against that user's roles by name, as etcd checks a
/// key of a Put or a Range. `root` may do everything.
struct EtcdUsers: RedisAccessControl {
    /// The auth store as this member applied it.
    let store: AuthStore

    var requiresAuthentication: Bool { store.isEnabled }

    func allows(user: String, _ access: RedisKeyAccess, key: [UInt8]) -> Bool {
        refusal(user, access, key: key, rangeEnd: []) == nil
    }

    /// Every key from `\0` on: what `etcdctl role grant-permission
    /// --prefix role read ''` grants. (The empty key, which no permission
    /// can name, is left to root.)
    func allowsEveryKey(user: String, _ access: RedisKeyAccess) -> Bool {
        refusal(user, access, key: [0], rangeEnd: [0]) == nil
    }

    /// etcd's `IsAdminPermitted`: root, or anyone while auth is disabled.
    func administers(user: String) -> Bool {
        store.adminRefusal(AuthCaller(name: user, revision: store.revision)) == nil
    }

    var userNames: [String] { Array(store.users.keys) }

    private func refusal(_ user: String, _ access: RedisKeyAccess, key: [UInt8], rangeEnd: [UInt8]) -> AuthError? {
        // The store of this moment decides: the caller's revision is the
        // current one, so every change applies to the next command.
        let caller = AuthCaller(name: user, revision: store.revision)
        return store.keyRefusal(caller, access == .read ? .read : .write, key: key, rangeEnd: rangeEnd)
    }

    /// True when `request`'s password is its user's, checked as etcd's
    /// Authenticate checks it (bcrypt, against the stored hash); false for
    /// an unknown user, a user without a password, or auth disabled.
    /// Slow on purpose: call it off any actor.
    func verifies(_ request: AuthenticationRequest) -> Bool {
        guard case .credentials(let credentials)? = try? store.answer(.credentials(name: request.user), caller: nil) else {
            return false
        }
        return BCryptPassword.verify(request.password, against: credentials.passwordHash)
    }
}
