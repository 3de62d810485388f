import ConcordDynamo

/// Everything a ``RedisConnection`` asks its shell to do after one input.
///
/// The shell handles outputs in the order they were returned, and each
/// output in this order:
/// 1. hand `requests` to the local ``ConcordDynamo/DynamoNode`` (through
///    `onClientRequest`), in order, and later feed each ``ClientReply``
///    with the same id back through ``RedisConnection/onReply(_:)``;
/// 2. write `bytes` to the socket;
/// 3. if `closes`, close the connection once `bytes` are written, and
///    give the connection no more input;
/// 4. if `authentication` is set, check the password (off any thread that
///    must stay responsive: it is bcrypt) and give the result to
///    ``RedisConnection/onAuthentication(accepted:)``. Until then the
///    connection parses no more input (``RedisConnection/holdsInput``).
///
/// Request ids are unique among this connection's open requests; a shell
/// that serves many connections with one member maps them to ids unique
/// at the member, and maps the replies back.
public struct ConnectionOutput: Sendable {
    /// Store requests for the local member.
    public var requests: [ClientRequest] = []
    /// Reply bytes to write, in request order.
    public var bytes: [UInt8] = []
    /// Close the connection after writing `bytes` (QUIT, a protocol error).
    public var closes = false
    /// A password to check (AUTH or HELLO … AUTH while users are on).
    public var authentication: AuthenticationRequest?

    /// An empty output.
    public init() {}

    /// True when the output asks for nothing.
    public var isEmpty: Bool { requests.isEmpty && bytes.isEmpty && !closes && authentication == nil }
}
