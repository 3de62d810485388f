/// An error reply, with Redis's exact text for the errors Redis gives.
///
/// `message` begins with the error code (`ERR`, `WRONGTYPE`, `NOPROTO`, …)
/// and is sent as `-message\r\n`.
public struct RedisError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code and the message.
    public var message: String

    /// An error with this text (code first).
    public init(_ message: String) {
        self.message = message
    }

    /// The reply.
    public var reply: RESPValue { .error(message) }

    public var description: String { message }

    /// `ERR syntax error`.
    public static let syntax = RedisError("ERR syntax error")
    /// `ERR value is not an integer or out of range`.
    public static let notAnInteger = RedisError("ERR value is not an integer or out of range")
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`.
    public static let wrongType = RedisError("WRONGTYPE Operation against a key holding the wrong kind of value")
    /// `ERR increment or decrement would overflow`.
    public static let overflow = RedisError("ERR increment or decrement would overflow")
    /// `ERR decrement would overflow` (DECRBY by the smallest integer).
    public static let decrementOverflow = RedisError("ERR decrement would overflow")
    /// `ERR DB index is out of range`.
    public static let databaseOutOfRange = RedisError("ERR DB index is out of range")
    /// `NOPROTO unsupported protocol version`.
    public static let unsupportedProtocol = RedisError("NOPROTO unsupported protocol version")
    /// `WRONGPASS …`.
    public static let wrongPassword = RedisError("WRONGPASS invalid username-password pair or user is disabled.")
    /// AUTH with a password alone while no password is configured.
    public static let noPasswordConfigured = RedisError(
        "ERR AUTH <password> called without any password configured for the default user. "
            + "Are you sure your configuration is correct?")
    /// A command other than AUTH, HELLO … AUTH or QUIT before authenticating
    /// (`noautherr` in server.c).
    public static let authenticationRequired = RedisError("NOAUTH Authentication required.")
    /// HELLO without AUTH before authenticating (`helloCommand` in Redis
    /// 7.0's networking.c; 7.2 added `<proto>` to the text).
    public static let helloNeedsAuthentication = RedisError(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> "
            + "option can be used to authenticate the client and select the RESP protocol version at the same time")
    /// A key the user may not access (Redis 7.0's `ACL_DENIED_KEY` in `processCommand`).
    public static let noPermissionOnKeys = RedisError("NOPERM this user has no permissions to access one of the keys used as arguments")
    /// A command the user may not run (Redis 7.0's `ACL_DENIED_CMD`).
    public static func noPermissionToRun(_ name: String) -> RedisError {
        RedisError("NOPERM this user has no permissions to run the '\(name)' command")
    }
    /// A client name with a space, a line break or another special character.
    public static let badClientName = RedisError("ERR Client names cannot contain spaces, newlines or special characters.")

    /// `ERR wrong number of arguments for 'name' command`; `name` is Redis's
    /// full name (`get`, `client|setname`).
    public static func arity(_ name: String) -> RedisError {
        RedisError("ERR wrong number of arguments for '\(name)' command")
    }

    /// `ERR invalid expire time in 'name' command`.
    public static func invalidExpireTime(_ name: String) -> RedisError {
        RedisError("ERR invalid expire time in '\(name)' command")
    }

    /// An unknown command, quoting up to 128 bytes of its arguments as
    /// Redis does (`commandCheckExistence` in server.c).
    public static func unknownCommand(_ arguments: [[UInt8]]) -> RedisError {
        var quoted: [UInt8] = []
        for argument in arguments.dropFirst() {
            guard quoted.count < 128 else { break }
            quoted += [UInt8(ascii: "'")] + argument.prefix(128 - quoted.count) + Array("' ".utf8)
        }
        let name = String(decoding: (arguments.first ?? []).prefix(128), as: UTF8.self)
        return RedisError("ERR unknown command '\(name)', with args beginning with: " + String(decoding: quoted, as: UTF8.self))
    }

    /// `ERR unknown subcommand 'x'. Try CONTAINER HELP.`
    public static func unknownSubcommand(_ subcommand: [UInt8], of container: String) -> RedisError {
        RedisError(
            "ERR unknown subcommand '\(String(decoding: subcommand.prefix(128), as: UTF8.self))'. Try \(container.uppercased()) HELP.")
    }
}
