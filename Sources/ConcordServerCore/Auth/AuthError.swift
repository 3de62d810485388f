/// Why an auth request, or a request refused by the auth store, failed:
/// etcd 3.4's auth errors, each with etcd's gRPC status and message.
public enum AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    case rootUserNotExist
    case rootRoleNotExist
    case userAlreadyExist
    case userEmpty
    case userNotFound
    case roleAlreadyExist
    case roleNotFound
    case roleEmpty
    case authFailed
    case permissionNotGiven
    case permissionDenied
    case roleNotGranted
    case permissionNotGranted
    case authNotEnabled
    case invalidAuthToken
    case invalidAuthManagement
    case authOldRevision

    /// etcd's message.
    public var message: String {
        switch self {
        case .rootUserNotExist: "etcdserver: root user does not exist"
        case .rootRoleNotExist: "etcdserver: root user does not have root role"
        case .userAlreadyExist: "etcdserver: user name already exists"
        case .userEmpty: "etcdserver: user name is empty"
        case .userNotFound: "etcdserver: user name not found"
        case .roleAlreadyExist: "etcdserver: role name already exists"
        case .roleNotFound: "etcdserver: role name not found"
        case .roleEmpty: "etcdserver: role name is empty"
        case .authFailed: "etcdserver: authentication failed, invalid user ID or password"
        case .permissionNotGiven: "etcdserver: permission not given"
        case .permissionDenied: "etcdserver: permission denied"
        case .roleNotGranted: "etcdserver: role is not granted to the user"
        case .permissionNotGranted: "etcdserver: permission is not granted to the role"
        case .authNotEnabled: "etcdserver: authentication is not enabled"
        case .invalidAuthToken: "etcdserver: invalid auth token"
        case .invalidAuthManagement: "etcdserver: invalid auth management"
        case .authOldRevision: "etcdserver: revision of auth store is old"
        }
    }

    /// The gRPC status code etcd answers with: `INVALID_ARGUMENT` (3),
    /// `PERMISSION_DENIED` (7), `FAILED_PRECONDITION` (9) or
    /// `UNAUTHENTICATED` (16).
    public var grpcStatusCode: Int {
        switch self {
        case .userEmpty, .roleEmpty, .authFailed, .permissionNotGiven, .invalidAuthManagement, .authOldRevision: 3
        case .permissionDenied: 7
        case .invalidAuthToken: 16
        case .rootUserNotExist, .rootRoleNotExist, .userAlreadyExist, .userNotFound, .roleAlreadyExist, .roleNotFound,
            .roleNotGranted, .permissionNotGranted, .authNotEnabled:
            9
        }
    }

    /// The text of the gRPC error, as etcd puts it in a watch's cancel
    /// reason: `rpc error: code = PermissionDenied desc = etcdserver: …`.
    public var grpcErrorText: String {
        let code =
            switch grpcStatusCode {
            case 3: "InvalidArgument"
            case 7: "PermissionDenied"
            case 16: "Unauthenticated"
            default: "FailedPrecondition"
            }
        return "rpc error: code = \(code) desc = \(message)"
    }

    /// The message.
    public var description: String { message }
}
