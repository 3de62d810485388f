import ConcordServerCore
import Crypto

/// etcd's Auth service on the node: commands go through the log, queries
/// after a ReadIndex round; tokens are drawn here and assigned through the
/// log.
extension ConcordNode {
    /// Proposes an auth command and waits until it is applied here.
    func applyAuth(_ command: AuthCommand) async throws -> ServerReply {
        let (answer, reply) = try await ask(.auth(command))
        guard case .authApplied = answer else { throw Self.unexpectedAuth(answer) }
        return reply
    }

    /// Reads the auth store linearizably.
    func queryAuth(_ query: AuthQuery) async throws -> (AuthAnswer, ServerReply) {
        let (answer, reply) = try await ask(.authQuery(query))
        guard case .auth(let result) = answer else { throw Self.unexpectedAuth(answer) }
        return (result, reply)
    }

    /// Issues a token for a user whose password was checked: a JWT with
    /// `--auth-token jwt,…`; otherwise a simple token
    /// against `credentials`: 16 random letters from swift-crypto's
    /// secure generator, a dot and a sequence number, as etcd's look. The
    /// token is assigned through the log, so every member knows it; this
    /// returns once this member applied it.
    func issueToken(for name: String, _ credentials: AuthCredentials) async throws -> String {
        if let jwt = configuration.jwtTokens {
            // Signed here, verified by every member with the public key.
            return jwt.sign(user: name, revision: credentials.revision, nowSeconds: JWTTokens.wallClockSeconds())
        }
        let key = SymmetricKey(size: .bits128)
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let text = key.withUnsafeBytes { bytes in String(bytes.map { letters[Int($0) % letters.count] }) }
        tokenSequence &+= 1
        let token = "\(text).\(tokenSequence)"
        _ = try await applyAuth(.assignToken(token: token, user: name, revision: credentials.revision))
        return token
    }

    private static func unexpectedAuth(_ answer: ClientAnswer) -> ServerError {
        .proposalRefused("unexpected answer \(answer)")
    }
}
