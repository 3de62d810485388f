import ConcordFoundation

/// A user of the auth store.
public struct AuthUser: Sendable, Hashable {
    /// The user's name.
    public var name: String
    /// The bcrypt hash of the password; empty for a user without one.
    public var passwordHash: String
    /// The roles granted, sorted.
    public var roles: [String]
    /// True for a user added with `--no-password` (it cannot authenticate
    /// with a password; only a client certificate names it).
    public var noPassword: Bool

    /// True when the user has the `root` role.
    public var isRoot: Bool { roles.contains(AuthStore.rootRole) }
}

/// A role of the auth store: its key permissions in etcd's order.
public struct AuthRole: Sendable, Hashable {
    /// The role's name.
    public var name: String
    /// The permissions, sorted by key and range end.
    public var permissions: [KeyPermission]
}

/// etcd v3's auth store as replicated state: users, roles, their key
/// permissions, whether auth is enabled, and the auth revision that every
/// change raises.
///
/// It changes only by `apply(_:)`, which every replica runs on the same
/// committed `AuthCommand`s, so replicas agree; a command that fails
/// changes nothing. The checks (`refusal(_:caller:)`, `isAdmin(_:)`) are
/// pure functions of this state.
public struct AuthStore: Sendable, Hashable {
    /// The user and role with every permission.
    public static let rootUser = "root"
    public static let rootRole = "root"

    /// True once `AuthEnable` applied (and no `AuthDisable` after it).
    public private(set) var isEnabled = false
    /// Raised by every change to users, roles and permissions, and by
    /// `AuthDisable`; tokens issued before a change are refused with
    /// `authOldRevision`. Starts at 1 as etcd's does (0 means no user).
    public private(set) var revision: UInt64 = 1
    /// The users, by name.
    public private(set) var users: [String: AuthUser] = [:]
    /// The roles, by name.
    public private(set) var roles: [String: AuthRole] = [:]

    /// An empty store with auth disabled.
    public init() {}

    /// Applies a committed command.
    /// - Throws: etcd's error for the command; the store is then unchanged.
    public mutating func apply(_ command: AuthCommand) throws(AuthError) {
        switch command {
        case .enable:
            guard !isEnabled else { return }
            guard let root = users[Self.rootUser] else { throw .rootUserNotExist }
            guard root.isRoot else { throw .rootRoleNotExist }
            isEnabled = true
        case .disable:
            guard isEnabled else { return }
            isEnabled = false
            revision += 1
        case .userAdd(let name, let passwordHash, let noPassword):
            guard !name.isEmpty else { throw .userEmpty }
            guard users[name] == nil else { throw .userAlreadyExist }
            users[name] = AuthUser(name: name, passwordHash: noPassword ? "" : passwordHash, roles: [], noPassword: noPassword)
            revision += 1
        case .userDelete(let name):
            if isEnabled && name == Self.rootUser { throw .invalidAuthManagement }
            guard users.removeValue(forKey: name) != nil else { throw .userNotFound }
            revision += 1
        case .userChangePassword(let name, let passwordHash):
            guard users[name] != nil else { throw .userNotFound }
            users[name]?.passwordHash = passwordHash
            revision += 1
        case .userGrantRole(let name, let role):
            guard let user = users[name] else { throw .userNotFound }
            guard role == Self.rootRole || roles[role] != nil else { throw .roleNotFound }
            guard !user.roles.contains(role) else { return }
            users[name]?.roles = (user.roles + [role]).sorted()
            revision += 1
        case .userRevokeRole(let name, let role):
            if isEnabled && name == Self.rootUser && role == Self.rootRole { throw .invalidAuthManagement }
            guard let user = users[name] else { throw .userNotFound }
            guard user.roles.contains(role) else { throw .roleNotGranted }
            users[name]?.roles.removeAll { $0 == role }
            revision += 1
        case .roleAdd(let name):
            guard !name.isEmpty else { throw .roleEmpty }
            guard roles[name] == nil else { throw .roleAlreadyExist }
            roles[name] = AuthRole(name: name, permissions: [])
            revision += 1
        case .roleDelete(let name):
            if isEnabled && name == Self.rootRole { throw .invalidAuthManagement }
            guard roles.removeValue(forKey: name) != nil else { throw .roleNotFound }
            for userName in users.keys { users[userName]?.roles.removeAll { $0 == name } }
            revision += 1
        case .roleGrantPermission(let name, let permission):
            guard permission.isValidRange else { throw .invalidAuthManagement }
            guard var role = roles[name] else { throw .roleNotFound }
            if let index = role.permissions.firstIndex(where: { $0.key == permission.key && $0.rangeEnd == permission.rangeEnd }) {
                role.permissions[index].access = permission.access
            } else {
                role.permissions.append(permission)
                role.permissions.sort(by: KeyPermission.precedes)
            }
            roles[name] = role
            revision += 1
        case .roleRevokePermission(let name, let key, let rangeEnd):
            guard var role = roles[name] else { throw .roleNotFound }
            let before = role.permissions.count
            role.permissions.removeAll { $0.key == key && $0.rangeEnd == rangeEnd }
            guard role.permissions.count < before else { throw .permissionNotGranted }
            roles[name] = role
            revision += 1
        case .assignToken:
            // Tokens live beside the store (`SimpleTokens`), not in it.
            return
        }
    }

    // MARK: Queries

    /// Answers a read of the store for `caller`.
    /// - Throws: etcd's error: not found, or not allowed (etcd lets a user
    ///   read itself and the roles granted to it; everything else needs
    ///   root while auth is enabled).
    public func answer(_ query: AuthQuery, caller: AuthCaller?) throws(AuthError) -> AuthAnswer {
        switch query {
        case .userGet(let name):
            if let refusal = adminRefusal(caller), caller?.name != name { throw refusal }
            guard let user = users[name] else { throw .userNotFound }
            return .roles(user.roles)
        case .userList:
            if let refusal = adminRefusal(caller) { throw refusal }
            return .names(users.keys.sorted())
        case .roleGet(let name):
            if let refusal = adminRefusal(caller), !(caller.flatMap { users[$0.name] }?.roles.contains(name) ?? false) {
                throw refusal
            }
            guard let role = roles[name] else { throw .roleNotFound }
            return .permissions(role.permissions)
        case .roleList:
            if let refusal = adminRefusal(caller) { throw refusal }
            return .names(roles.keys.sorted())
        case .credentials(let name):
            guard isEnabled else { throw .authNotEnabled }
            guard let user = users[name], !user.noPassword else { throw .authFailed }
            return .credentials(AuthCredentials(passwordHash: user.passwordHash, revision: revision))
        }
    }

    /// Why `caller` may not manage the store, or nil when it may (always
    /// while auth is disabled): etcd's `IsAdminPermitted`.
    public func adminRefusal(_ caller: AuthCaller?) -> AuthError? {
        guard isEnabled else { return nil }
        guard let caller, !caller.name.isEmpty else { return .userEmpty }
        guard let user = users[caller.name] else { return .userNotFound }
        return user.isRoot ? nil : .permissionDenied
    }

    /// Why `caller` may not have `access` to the keys `key`..`rangeEnd`
    /// (etcd's range convention), or nil when it may (always while auth
    /// is disabled): etcd's `isOpPermitted`. A user's permissions are the
    /// union of its roles'; root may do anything.
    public func keyRefusal(_ caller: AuthCaller?, _ access: KeyAccess, key: [UInt8], rangeEnd: [UInt8]) -> AuthError? {
        guard isEnabled else { return nil }
        guard let caller, caller.revision != 0 else { return .userEmpty }
        guard caller.revision >= revision else { return .authOldRevision }
        guard let user = users[caller.name] else { return .permissionDenied }
        if user.isRoot { return nil }
        let granted = user.roles.flatMap { roles[$0]?.permissions ?? [] }.filter { $0.access.allows(access) }.map(\.interval)
        return KeyInterval(key: key, rangeEnd: rangeEnd).isCovered(by: granted) ? nil : .permissionDenied
    }

    // MARK: Encoding

    /// The format version `write(to:)` writes.
    static let version: UInt8 = 1

    /// Writes the store: a version byte (1), the enabled flag, the
    /// revision (8 bytes), the users sorted by name (a 4-byte count, then
    /// name, hash, no-password flag, and the roles as a count and names),
    /// and the roles sorted by name (a count, then name and permissions).
    public func write(to writer: inout BinaryWriter) {
        writer.writeByte(Self.version)
        writer.writeByte(isEnabled ? 1 : 0)
        writer.writeFixed(revision)
        writer.writeFixed(UInt32(users.count))
        for user in users.values.sorted(by: { $0.name < $1.name }) {
            AuthCommand.writeText(user.name, &writer)
            AuthCommand.writeText(user.passwordHash, &writer)
            writer.writeByte(user.noPassword ? 1 : 0)
            writer.writeFixed(UInt32(user.roles.count))
            for role in user.roles { AuthCommand.writeText(role, &writer) }
        }
        writer.writeFixed(UInt32(roles.count))
        for role in roles.values.sorted(by: { $0.name < $1.name }) {
            AuthCommand.writeText(role.name, &writer)
            writer.writeFixed(UInt32(role.permissions.count))
            for permission in role.permissions { permission.write(to: &writer) }
        }
    }

    /// Reads what `write(to:)` wrote.
    /// - Throws: `WireError` for another version or bytes that do not decode.
    public init(reading reader: inout BinaryReader) throws(WireError) {
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported auth store version \(version)") }
        isEnabled = try reader.wireBool()
        revision = try reader.wireUInt64()
        let userCount = try reader.wireItemCount(minimumBytes: 13, of: "user")
        for _ in 0..<userCount {
            let name = try AuthCommand.readText(&reader)
            let hash = try AuthCommand.readText(&reader)
            let noPassword = try reader.wireBool()
            let roleCount = try reader.wireItemCount(minimumBytes: 4, of: "role name")
            var roleNames: [String] = []
            for _ in 0..<roleCount { roleNames.append(try AuthCommand.readText(&reader)) }
            users[name] = AuthUser(name: name, passwordHash: hash, roles: roleNames.sorted(), noPassword: noPassword)
        }
        let roleCount = try reader.wireItemCount(minimumBytes: 8, of: "role")
        for _ in 0..<roleCount {
            let name = try AuthCommand.readText(&reader)
            let permissionCount = try reader.wireItemCount(minimumBytes: 9, of: "permission")
            var permissions: [KeyPermission] = []
            for _ in 0..<permissionCount { permissions.append(try KeyPermission(reading: &reader)) }
            roles[name] = AuthRole(name: name, permissions: permissions)
        }
    }
}

/// The answer to an `AuthQuery`.
public enum AuthAnswer: Sendable, Hashable {
    /// A user's roles.
    case roles([String])
    /// User or role names, sorted.
    case names([String])
    /// A role's permissions.
    case permissions([KeyPermission])
    /// What a password is checked against.
    case credentials(AuthCredentials)
}
