import ConcordFoundation

/// A change to the auth store, as it enters the replicated log (etcd's
/// `InternalRaftRequest` auth fields). Passwords never enter the log: the
/// member that receives `UserAdd` or `UserChangePassword` hashes the
/// password first, and the command carries the hash.
public enum AuthCommand: Sendable, Hashable {
    case enable
    case disable
    /// Adds a user with a bcrypt hash (empty with `noPassword`).
    case userAdd(name: String, passwordHash: String, noPassword: Bool)
    case userDelete(name: String)
    case userChangePassword(name: String, passwordHash: String)
    case userGrantRole(user: String, role: String)
    case userRevokeRole(user: String, role: String)
    case roleAdd(name: String)
    case roleDelete(name: String)
    case roleGrantPermission(role: String, permission: KeyPermission)
    case roleRevokePermission(role: String, key: [UInt8], rangeEnd: [UInt8])
    /// Records a simple token issued to `user` (whose password the
    /// proposing member checked) at auth revision `revision`. As etcd 3.4's
    /// `InternalAuthenticateRequest`, it goes through the log so that every
    /// member knows the token (etcd's clients send each call to the next
    /// endpoint); it changes nothing in the store, and tokens are kept in
    /// memory only, not in snapshots.
    case assignToken(token: String, user: String, revision: UInt64)

    /// The longest user or role name, and password hash, a command carries.
    public static let textBytesMax = 65_536

    private enum Kind: UInt8 {
        case enable = 1, disable, userAdd, userDelete, userChangePassword, userGrantRole, userRevokeRole
        case roleAdd, roleDelete, roleGrantPermission, roleRevokePermission, assignToken
    }

    /// Writes the command: a kind byte, then its fields (texts and byte
    /// strings after a 4-byte length, flags as one byte).
    public func write(to writer: inout BinaryWriter) {
        switch self {
        case .enable:
            writer.writeByte(Kind.enable.rawValue)
        case .disable:
            writer.writeByte(Kind.disable.rawValue)
        case .userAdd(let name, let passwordHash, let noPassword):
            writer.writeByte(Kind.userAdd.rawValue)
            Self.writeText(name, &writer)
            Self.writeText(passwordHash, &writer)
            writer.writeByte(noPassword ? 1 : 0)
        case .userDelete(let name):
            writer.writeByte(Kind.userDelete.rawValue)
            Self.writeText(name, &writer)
        case .userChangePassword(let name, let passwordHash):
            writer.writeByte(Kind.userChangePassword.rawValue)
            Self.writeText(name, &writer)
            Self.writeText(passwordHash, &writer)
        case .userGrantRole(let user, let role):
            writer.writeByte(Kind.userGrantRole.rawValue)
            Self.writeText(user, &writer)
            Self.writeText(role, &writer)
        case .userRevokeRole(let user, let role):
            writer.writeByte(Kind.userRevokeRole.rawValue)
            Self.writeText(user, &writer)
            Self.writeText(role, &writer)
        case .roleAdd(let name):
            writer.writeByte(Kind.roleAdd.rawValue)
            Self.writeText(name, &writer)
        case .roleDelete(let name):
            writer.writeByte(Kind.roleDelete.rawValue)
            Self.writeText(name, &writer)
        case .roleGrantPermission(let role, let permission):
            writer.writeByte(Kind.roleGrantPermission.rawValue)
            Self.writeText(role, &writer)
            permission.write(to: &writer)
        case .roleRevokePermission(let role, let key, let rangeEnd):
            writer.writeByte(Kind.roleRevokePermission.rawValue)
            Self.writeText(role, &writer)
            writer.writeFixedLengthBytes(key)
            writer.writeFixedLengthBytes(rangeEnd)
        case .assignToken(let token, let user, let revision):
            writer.writeByte(Kind.assignToken.rawValue)
            Self.writeText(token, &writer)
            Self.writeText(user, &writer)
            writer.writeFixed(revision)
        }
    }

    /// Reads what `write(to:)` wrote.
    /// - Throws: `WireError` for an unknown kind or a field that does not decode.
    public init(reading reader: inout BinaryReader) throws(WireError) {
        let byte = try reader.wireByte()
        guard let kind = Kind(rawValue: byte) else { throw .invalid("unknown auth command \(byte)") }
        switch kind {
        case .enable: self = .enable
        case .disable: self = .disable
        case .userAdd:
            let name = try Self.readText(&reader)
            let hash = try Self.readText(&reader)
            self = .userAdd(name: name, passwordHash: hash, noPassword: try reader.wireBool())
        case .userDelete: self = .userDelete(name: try Self.readText(&reader))
        case .userChangePassword:
            let name = try Self.readText(&reader)
            self = .userChangePassword(name: name, passwordHash: try Self.readText(&reader))
        case .userGrantRole:
            let user = try Self.readText(&reader)
            self = .userGrantRole(user: user, role: try Self.readText(&reader))
        case .userRevokeRole:
            let user = try Self.readText(&reader)
            self = .userRevokeRole(user: user, role: try Self.readText(&reader))
        case .roleAdd: self = .roleAdd(name: try Self.readText(&reader))
        case .roleDelete: self = .roleDelete(name: try Self.readText(&reader))
        case .roleGrantPermission:
            let role = try Self.readText(&reader)
            self = .roleGrantPermission(role: role, permission: try KeyPermission(reading: &reader))
        case .roleRevokePermission:
            let role = try Self.readText(&reader)
            let key = try reader.wireBytes()
            self = .roleRevokePermission(role: role, key: key, rangeEnd: try reader.wireBytes())
        case .assignToken:
            let token = try Self.readText(&reader)
            let user = try Self.readText(&reader)
            self = .assignToken(token: token, user: user, revision: try reader.wireUInt64())
        }
    }

    static func writeText(_ text: String, _ writer: inout BinaryWriter) {
        writer.writeFixedLengthBytes(Array(text.utf8))
    }

    static func readText(_ reader: inout BinaryReader) throws(WireError) -> String {
        try reader.wireText(bytesMax: textBytesMax)
    }
}

/// A read of the auth store, answered after a ReadIndex round.
public enum AuthQuery: Sendable, Hashable {
    /// A user's roles.
    case userGet(name: String)
    /// Every user name.
    case userList
    /// A role's permissions.
    case roleGet(name: String)
    /// Every role name.
    case roleList
    /// What `Authenticate` checks a password against.
    case credentials(name: String)
}

/// What `Authenticate` needs from the store: the stored hash, checked by
/// the shell, and the auth revision its token will carry.
public struct AuthCredentials: Sendable, Hashable {
    /// The bcrypt hash of the user's password.
    public var passwordHash: String
    /// The store's auth revision when read.
    public var revision: UInt64
}

/// Who sent a request: the user its token names and the auth revision the
/// token was issued at. A request without a token has no caller.
public struct AuthCaller: Sendable, Hashable {
    /// The user name.
    public var name: String
    /// The auth revision when the token was issued.
    public var revision: UInt64

    /// Creates a caller.
    public init(name: String, revision: UInt64) {
        self.name = name
        self.revision = revision
    }
}
