import ConcordEtcdAPI
import ConcordKV
import ConcordServerCore
import Foundation
import GRPCCore
import SwiftProtobuf

/// etcd's v3 Auth service over a `ConcordNode`, answered on the connection
/// like the KV calls (so each call carries its `token` metadata).
///
/// Passwords are hashed here, on the member that receives them and off
/// the node's actor, before anything is proposed: the log and snapshots
/// hold bcrypt hashes only. `Authenticate` reads the user's hash through
/// a ReadIndex round, checks the password here, and has the node issue a
/// simple token.
struct AuthService {
    let node: ConcordNode

    /// The service's methods by gRPC path.
    var directMethods: [String: DirectUnaryMethod] {
        [
            Self.path("AuthEnable"): .protobuf(authEnable),
            Self.path("AuthDisable"): .protobuf(authDisable),
            Self.path("Authenticate"): .protobuf(authenticate),
            Self.path("UserAdd"): .protobuf(userAdd),
            Self.path("UserGet"): .protobuf(userGet),
            Self.path("UserList"): .protobuf(userList),
            Self.path("UserDelete"): .protobuf(userDelete),
            Self.path("UserChangePassword"): .protobuf(userChangePassword),
            Self.path("UserGrantRole"): .protobuf(userGrantRole),
            Self.path("UserRevokeRole"): .protobuf(userRevokeRole),
            Self.path("RoleAdd"): .protobuf(roleAdd),
            Self.path("RoleGet"): .protobuf(roleGet),
            Self.path("RoleList"): .protobuf(roleList),
            Self.path("RoleDelete"): .protobuf(roleDelete),
            Self.path("RoleGrantPermission"): .protobuf(roleGrantPermission),
            Self.path("RoleRevokePermission"): .protobuf(roleRevokePermission),
        ]
    }

    private static func path(_ method: String) -> String { "/etcdserverpb.Auth/" + method }

    @Sendable func authEnable(_ request: Etcdserverpb_AuthEnableRequest) async throws -> Etcdserverpb_AuthEnableResponse {
        try await command("AuthEnable", .enable, Etcdserverpb_AuthEnableResponse.self)
    }

    @Sendable func authDisable(_ request: Etcdserverpb_AuthDisableRequest) async throws -> Etcdserverpb_AuthDisableResponse {
        try await command("AuthDisable", .disable, Etcdserverpb_AuthDisableResponse.self)
    }

    @Sendable func authenticate(_ request: Etcdserverpb_AuthenticateRequest) async throws -> Etcdserverpb_AuthenticateResponse {
        // As etcd, Authenticate ignores any token the call carries (a
        // client refreshing an expired one sends it along).
        try await RequestCredentials.$token.withValue(nil) { try await authenticateIgnoringToken(request) }
    }

    private func authenticateIgnoringToken(_ request: Etcdserverpb_AuthenticateRequest) async throws -> Etcdserverpb_AuthenticateResponse {
        try await observeRequest(node, "Authenticate") {
            let (answer, reply) = try await node.queryAuth(.credentials(name: request.name))
            guard case .credentials(let credentials) = answer else { throw AuthError.authFailed }
            guard BCryptPassword.verify(request.password, against: credentials.passwordHash) else { throw AuthError.authFailed }
            let token = try await node.issueToken(for: request.name, credentials)
            var response = Etcdserverpb_AuthenticateResponse()
            response.header = header(reply)
            response.token = token
            return response
        }
    }

    @Sendable func userAdd(_ request: Etcdserverpb_AuthUserAddRequest) async throws -> Etcdserverpb_AuthUserAddResponse {
        let noPassword = request.hasOptions && request.options.noPassword
        let hash = try noPassword ? "" : Self.hash(request.password)
        return try await command("UserAdd", .userAdd(name: request.name, passwordHash: hash, noPassword: noPassword), Etcdserverpb_AuthUserAddResponse.self)
    }

    @Sendable func userGet(_ request: Etcdserverpb_AuthUserGetRequest) async throws -> Etcdserverpb_AuthUserGetResponse {
        try await query("UserGet", .userGet(name: request.name)) { answer, header in
            guard case .roles(let roles) = answer else { throw Self.unexpected(answer) }
            var response = Etcdserverpb_AuthUserGetResponse()
            response.header = header
            response.roles = roles
            return response
        }
    }

    @Sendable func userList(_ request: Etcdserverpb_AuthUserListRequest) async throws -> Etcdserverpb_AuthUserListResponse {
        try await query("UserList", .userList) { answer, header in
            guard case .names(let names) = answer else { throw Self.unexpected(answer) }
            var response = Etcdserverpb_AuthUserListResponse()
            response.header = header
            response.users = names
            return response
        }
    }

    @Sendable func userDelete(_ request: Etcdserverpb_AuthUserDeleteRequest) async throws -> Etcdserverpb_AuthUserDeleteResponse {
        try await command("UserDelete", .userDelete(name: request.name), Etcdserverpb_AuthUserDeleteResponse.self)
    }

    @Sendable func userChangePassword(
        _ request: Etcdserverpb_AuthUserChangePasswordRequest
    ) async throws -> Etcdserverpb_AuthUserChangePasswordResponse {
        let hash = try Self.hash(request.password)
        return try await command("UserChangePassword", .userChangePassword(name: request.name, passwordHash: hash), Etcdserverpb_AuthUserChangePasswordResponse.self)
    }

    @Sendable func userGrantRole(_ request: Etcdserverpb_AuthUserGrantRoleRequest) async throws -> Etcdserverpb_AuthUserGrantRoleResponse {
        try await command("UserGrantRole", .userGrantRole(user: request.user, role: request.role), Etcdserverpb_AuthUserGrantRoleResponse.self)
    }

    @Sendable func userRevokeRole(_ request: Etcdserverpb_AuthUserRevokeRoleRequest) async throws -> Etcdserverpb_AuthUserRevokeRoleResponse {
        try await command("UserRevokeRole", .userRevokeRole(user: request.name, role: request.role), Etcdserverpb_AuthUserRevokeRoleResponse.self)
    }

    @Sendable func roleAdd(_ request: Etcdserverpb_AuthRoleAddRequest) async throws -> Etcdserverpb_AuthRoleAddResponse {
        try await command("RoleAdd", .roleAdd(name: request.name), Etcdserverpb_AuthRoleAddResponse.self)
    }

    @Sendable func roleGet(_ request: Etcdserverpb_AuthRoleGetRequest) async throws -> Etcdserverpb_AuthRoleGetResponse {
        try await query("RoleGet", .roleGet(name: request.role)) { answer, header in
            guard case .permissions(let permissions) = answer else { throw Self.unexpected(answer) }
            var response = Etcdserverpb_AuthRoleGetResponse()
            response.header = header
            response.perm = permissions.map(Self.permission)
            return response
        }
    }

    @Sendable func roleList(_ request: Etcdserverpb_AuthRoleListRequest) async throws -> Etcdserverpb_AuthRoleListResponse {
        try await query("RoleList", .roleList) { answer, header in
            guard case .names(let names) = answer else { throw Self.unexpected(answer) }
            var response = Etcdserverpb_AuthRoleListResponse()
            response.header = header
            response.roles = names
            return response
        }
    }

    @Sendable func roleDelete(_ request: Etcdserverpb_AuthRoleDeleteRequest) async throws -> Etcdserverpb_AuthRoleDeleteResponse {
        try await command("RoleDelete", .roleDelete(name: request.role), Etcdserverpb_AuthRoleDeleteResponse.self)
    }

    @Sendable func roleGrantPermission(
        _ request: Etcdserverpb_AuthRoleGrantPermissionRequest
    ) async throws -> Etcdserverpb_AuthRoleGrantPermissionResponse {
        guard request.hasPerm else { throw EtcdTranslation.rpcError(AuthError.permissionNotGiven) }
        let access: KeyAccess
        switch request.perm.permType {
        case .read: access = .read
        case .write: access = .write
        case .readwrite: access = .readWrite
        case .UNRECOGNIZED(let number):
            throw RPCError(code: .invalidArgument, message: "etcdserver: unknown permission type \(number)")
        }
        let permission = KeyPermission(access: access, key: Array(request.perm.key), rangeEnd: Array(request.perm.rangeEnd))
        return try await command("RoleGrantPermission", .roleGrantPermission(role: request.name, permission: permission), Etcdserverpb_AuthRoleGrantPermissionResponse.self)
    }

    @Sendable func roleRevokePermission(
        _ request: Etcdserverpb_AuthRoleRevokePermissionRequest
    ) async throws -> Etcdserverpb_AuthRoleRevokePermissionResponse {
        let command = AuthCommand.roleRevokePermission(role: request.role, key: Array(request.key), rangeEnd: Array(request.rangeEnd))
        return try await self.command("RoleRevokePermission", command, Etcdserverpb_AuthRoleRevokePermissionResponse.self)
    }

    // MARK: Shared

    /// Proposes `command` and builds the response with its header.
    private func command<Response: HeaderOnlyResponse>(
        _ method: String, _ command: AuthCommand, _: Response.Type
    ) async throws -> Response {
        try await observeRequest(node, method) {
            let reply = try await node.applyAuth(command)
            var response = Response()
            response.header = header(reply)
            return response
        }
    }

    /// Reads the store and builds the response from the answer.
    private func query<Response>(
        _ method: String, _ query: AuthQuery,
        _ make: (AuthAnswer, Etcdserverpb_ResponseHeader) throws -> Response
    ) async throws -> Response {
        try await observeRequest(node, method) {
            let (answer, reply) = try await node.queryAuth(query)
            return try make(answer, header(reply))
        }
    }

    private func header(_ reply: ServerReply) -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: reply.revision, term: reply.term)
    }

    /// A bcrypt hash of a password, refused with etcd's wording when the
    /// password cannot be hashed.
    private static func hash(_ password: String) throws -> String {
        do {
            return try BCryptPassword.hash(password)
        } catch {
            throw RPCError(code: .invalidArgument, message: "etcdserver: \(error)")
        }
    }

    private static func permission(_ permission: KeyPermission) -> Authpb_Permission {
        var result = Authpb_Permission()
        switch permission.access {
        case .read: result.permType = .read
        case .write: result.permType = .write
        case .readWrite: result.permType = .readwrite
        }
        result.key = Data(permission.key)
        result.rangeEnd = Data(permission.rangeEnd)
        return result
    }

    private static func unexpected(_ answer: AuthAnswer) -> RPCError {
        RPCError(code: .internalError, message: "etcdserver: unexpected answer \(answer)")
    }
}

/// The auth responses that carry only a header.
protocol HeaderOnlyResponse: SwiftProtobuf.Message {
    var header: Etcdserverpb_ResponseHeader { get set }
}

extension Etcdserverpb_AuthEnableResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthDisableResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthUserAddResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthUserDeleteResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthUserChangePasswordResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthUserGrantRoleResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthUserRevokeRoleResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthRoleAddResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthRoleDeleteResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthRoleGrantPermissionResponse: HeaderOnlyResponse {}
extension Etcdserverpb_AuthRoleRevokePermissionResponse: HeaderOnlyResponse {}
