import ConcordDynamo
import ConcordFoundation

/// What a user needs on a key: to read it, or to change it.
public enum RedisKeyAccess: Hashable, Sendable {
    case read
    case write
}

/// The users and permissions a Redis connection obeys, as the shell sees
/// them when it hands the connection an input (docs/redis.md, "Users and
/// permissions"). Concord's server answers from the etcd auth store the
/// member applied; tests answer from a table.
///
/// Checking a password is not asked here: it is slow (bcrypt) and belongs
/// to the shell (``ConnectionOutput/authentication``).
public protocol RedisAccessControl: Sendable {
    /// True when connections must authenticate before data commands and
    /// are held to their user's permissions; false lets everyone do
    /// everything, as a Redis server without users does.
    var requiresAuthentication: Bool { get }
    /// True when `user` may have `access` to `key`.
    func allows(user: String, _ access: RedisKeyAccess, key: [UInt8]) -> Bool
    /// True when `user` may have `access` to every key (KEYS, SCAN and
    /// DBSIZE show the whole key space).
    func allowsEveryKey(user: String, _ access: RedisKeyAccess) -> Bool
    /// True when `user` may manage and list the users (ACL USERS).
    func administers(user: String) -> Bool
    /// The users' names (ACL USERS), in any order.
    var userNames: [String] { get }
}

/// No users: every connection may do everything.
public struct OpenAccess: RedisAccessControl {
    public init() {}
    public var requiresAuthentication: Bool { false }
    public func allows(user: String, _ access: RedisKeyAccess, key: [UInt8]) -> Bool { true }
    public func allowsEveryKey(user: String, _ access: RedisKeyAccess) -> Bool { true }
    public func administers(user: String) -> Bool { true }
    public var userNames: [String] { [] }
}

/// A password to check for a user, asked of the shell by a connection
/// (AUTH, HELLO … AUTH). The shell answers with
/// ``RedisConnection/onAuthentication(accepted:)``.
public struct AuthenticationRequest: Hashable, Sendable {
    /// The user (`default` for AUTH with a password alone).
    public var user: String
    /// The password.
    public var password: String

    /// A request for these credentials; nil when the user or password is
    /// not UTF-8 (no etcd user has such a name or password).
    init?(_ credentials: Credentials) {
        let user = String(decoding: credentials.user.bytes, as: UTF8.self)
        let password = String(decoding: credentials.password.bytes, as: UTF8.self)
        guard Array(user.utf8) == credentials.user.bytes, Array(password.utf8) == credentials.password.bytes else { return nil }
        self.user = user
        self.password = password
    }

    /// A request for `user` and `password`.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

/// Which commands a connection may run, given who it is (Redis 7.0's
/// order in `processCommand`: authentication first, then key permissions).
public enum AccessCheck {
    /// The error a connection authenticated as `user` (nil: not
    /// authenticated) gets for `command`, or nil when it may run it.
    ///
    /// - Before authenticating only AUTH, HELLO with AUTH, and QUIT run
    ///   (Redis's `no-auth` commands); anything else gets `NOAUTH`.
    /// - Once authenticated, a command that reads a key needs read
    ///   permission on it and one that changes a key needs write; one that
    ///   changes a key and replies with what it holds (INCR, SET … GET,
    ///   CONCORD.PUT) needs both. KEYS, SCAN and DBSIZE need read on every
    ///   key. ACL USERS needs a user who administers the users (etcd's
    ///   root). Other commands without keys need nothing more.
    public static func refusal(_ command: RedisCommand, user: String?, control: any RedisAccessControl) -> RedisError? {
        guard control.requiresAuthentication else { return nil }
        switch command {
        case .auth, .quit: return nil
        case .hello(_, let credentials, _):
            return credentials == nil && user == nil ? .helloNeedsAuthentication : nil
        default: break
        }
        guard let user else { return .authenticationRequired }
        return permissionRefusal(command, user: user, control: control)
    }

    private static func permissionRefusal(_ command: RedisCommand, user: String, control: any RedisAccessControl) -> RedisError? {
        if case .with(_, let inner) = command { return permissionRefusal(inner, user: user, control: control) }
        if command == .aclUsers {
            return control.administers(user: user) ? nil : .noPermissionToRun("acl|users")
        }
        if command.listsKeys {
            return control.allowsEveryKey(user: user, .read) ? nil : .noPermissionToRun(command.fullName)
        }
        for (key, accesses) in command.keyAccesses {
            for access in accesses where !control.allows(user: user, access, key: key.bytes) {
                return .noPermissionOnKeys
            }
        }
        return nil
    }
}

extension RedisCommand {
    /// True for commands that show the whole key space.
    var listsKeys: Bool {
        switch self {
        case .keys, .scan, .dbSize: true
        case .with(_, let inner): inner.listsKeys
        default: false
        }
    }

    /// Redis's lower-case name of a key-listing command, for NOPERM.
    var fullName: String {
        switch self {
        case .keys: "keys"
        case .scan: "scan"
        case .dbSize: "dbsize"
        case .with(_, let inner): inner.fullName
        default: "\(self)"
        }
    }

    /// Each key the command names and the access it needs there.
    var keyAccesses: [(key: ByteString, accesses: [RedisKeyAccess])] {
        switch self {
        case .exists, .type, .ttl, .get, .getMany, .setMembers, .setIsMember, .setCardinality, .hashGet, .hashGetAll, .hashLength,
            .siblings:
            return keys.map { ($0, [.read]) }
        case .increment, .put:
            return keys.map { ($0, [.read, .write]) }
        case .set(_, _, let options):
            return keys.map { ($0, options.returnsPrevious ? [.read, .write] : [.write]) }
        case .delete, .setMany, .setAdd, .setRemove, .hashSet, .hashDelete, .persist, .expire:
            return keys.map { ($0, [.write]) }
        case .with(_, let inner):
            return inner.keyAccesses
        default:
            return []
        }
    }
}
