import ConcordServerCore
import Crypto
import Foundation
import _CryptoExtras

/// etcd's JWT tokens (`--auth-token jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…`):
/// signed by the member that checked the password, carrying the user
/// name, the auth revision and an expiry (`username`, `revision`, `exp`,
/// as etcd's claims), and verified by every member with the public key
/// alone, so unlike simple tokens they need no log round trip.
///
/// A token older than a change to the auth store is refused as etcd
/// refuses it (`revision of auth store is old`, by the usual checks); one
/// that does not verify, is malformed or has expired is not a token
/// (`invalid auth token`).
public struct JWTTokens: Sendable {
    /// The signature algorithms etcd 3.4 accepts that Concord signs with.
    public enum SignMethod: String, Sendable, CaseIterable {
        /// ECDSA on P-256 with SHA-256; the signature is r and s, 32 bytes each.
        case es256 = "ES256"
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        case rs256 = "RS256"
    }

    /// The settings `--auth-token` gives.
    public struct Options: Sendable, Hashable {
        public var publicKeyPath: String
        public var privateKeyPath: String
        public var signMethod: SignMethod
        public var ttlSeconds: Int64
    }

    /// etcd's default token lifetime.
    public static let defaultTTLSeconds: Int64 = 300
    /// The longest token accepted, in bytes: a token is read before
    /// anything is checked, so its size is bounded first.
    static let tokenBytesMax = 8192

    let signMethod: SignMethod
    let ttlSeconds: Int64
    private let signingKey: SigningKey
    private let verifyingKey: VerifyingKey

    private enum SigningKey: @unchecked Sendable {
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    private enum VerifyingKey: @unchecked Sendable {
        case p256(P256.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    /// Parses `--auth-token`: nil for `simple` (the default), the JWT
    /// options for `jwt,…`.
    /// - Throws: `ServerConfigurationError` naming what is wrong.
    public static func parseOption(_ text: String) throws(ServerConfigurationError) -> Options? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "simple" where parts.count == 1: return nil
        case "jwt": break
        default: throw .invalid("--auth-token: unknown token type \"\(parts.first ?? "")\"; use simple or jwt,pub-key=PATH,priv-key=PATH,sign-method=ES256|RS256[,ttl=5m]")
        }
        var publicKey: String?, privateKey: String?, method: SignMethod?, ttl = defaultTTLSeconds
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else {
                throw .invalid("--auth-token: \"\(part)\" is not key=value")
            }
            let key = String(part[..<equals]), value = String(part[part.index(after: equals)...])
            guard !value.isEmpty else { throw .invalid("--auth-token: \(key) is empty") }
            switch key {
            case "pub-key": publicKey = value
            case "priv-key": privateKey = value
            case "sign-method":
                guard let parsed = SignMethod(rawValue: value) else {
                    throw .invalid("--auth-token: unsupported sign-method \(value); use ES256 or RS256")
                }
                method = parsed
            case "ttl":
                guard let seconds = parseDurationSeconds(value), seconds > 0 else {
                    throw .invalid("--auth-token: ttl \(value) is not a positive duration such as 5m, 300s or 1h")
                }
                ttl = seconds
            default:
                throw .invalid("--auth-token: unknown option \(key)")
            }
        }
        guard let method else { throw .invalid("--auth-token: jwt needs sign-method=ES256 or sign-method=RS256") }
        guard let publicKey, let privateKey else { throw .invalid("--auth-token: jwt needs pub-key=PATH and priv-key=PATH") }
        return Options(publicKeyPath: publicKey, privateKeyPath: privateKey, signMethod: method, ttlSeconds: ttl)
    }

    /// Whole seconds of a Go-style duration made of one or more
    /// `<digits><unit>` with units h, m, s (`5m`, `1h30m`, `300s`).
    static func parseDurationSeconds(_ text: String) -> Int64? {
        var total: Int64 = 0, digits = "", sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { return nil }
                continue
            }
            guard let number = Int64(digits) else { return nil }
            let unit: Int64
            switch character {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            total += number * unit
            digits = ""
            sawUnit = true
        }
        return sawUnit && digits.isEmpty ? total : nil
    }

    /// Loads the keys named by `options`.
    /// - Throws: `ServerConfigurationError` naming the file that cannot be
    ///   used, or a key pair that does not fit the sign method or itself.
    public init(_ options: Options) throws(ServerConfigurationError) {
        let privatePEM = try Self.read(options.privateKeyPath), publicPEM = try Self.read(options.publicKeyPath)
        try self.init(
            signMethod: options.signMethod, privateKeyPEM: privatePEM, publicKeyPEM: publicPEM, ttlSeconds: options.ttlSeconds,
            privateKeyName: options.privateKeyPath, publicKeyName: options.publicKeyPath)
    }

    /// Uses the keys given as PEM text rather than files: the same checks
    /// as ``init(_:)`` (the keys fit `signMethod`, and a token signed with
    /// the private key verifies with the public one). For callers that
    /// hold the keys already, such as the fuzz target of ``verify(_:nowSeconds:)``.
    /// - Throws: `ServerConfigurationError` when the keys cannot be used.
    public init(signMethod: SignMethod, privateKeyPEM: String, publicKeyPEM: String, ttlSeconds: Int64 = defaultTTLSeconds)
        throws(ServerConfigurationError)
    {
        try self.init(
            signMethod: signMethod, privateKeyPEM: privateKeyPEM, publicKeyPEM: publicKeyPEM, ttlSeconds: ttlSeconds,
            privateKeyName: "(private key PEM)", publicKeyName: "(public key PEM)")
    }

    private init(
        signMethod: SignMethod, privateKeyPEM: String, publicKeyPEM: String, ttlSeconds: Int64, privateKeyName: String, publicKeyName: String
    ) throws(ServerConfigurationError) {
        self.signMethod = signMethod
        self.ttlSeconds = ttlSeconds
        do {
            switch signMethod {
            case .es256:
                signingKey = .p256(try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM))
                verifyingKey = .p256(try P256.Signing.PublicKey(pemRepresentation: publicKeyPEM))
            case .rs256:
                signingKey = .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM))
                verifyingKey = .rsa(try _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM))
            }
        } catch {
            throw .invalid("--auth-token: cannot use the \(signMethod.rawValue) keys \(privateKeyName) and \(publicKeyName): \(error)")
        }
        // A token this member signs must verify with the public key.
        let probe = sign(user: "probe", revision: 1, nowSeconds: 0)
        guard verify(probe, nowSeconds: 0) != nil else {
            throw .invalid("--auth-token: \(publicKeyName) is not the public key of \(privateKeyName)")
        }
    }

    private static func read(_ path: String) throws(ServerConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .invalid("--auth-token: cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Seconds since the Unix epoch, for expiries (etcd's `exp`). The
    /// only clock JWTs rely on: members whose clocks differ by more than a
    /// token's lifetime disagree about whether it expired.
    static func wallClockSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// A token for `user` at auth `revision`, expiring `ttlSeconds` after
    /// `nowSeconds` (seconds since the Unix epoch). Public for the fuzz
    /// target, which re-signs what a token names.
    public func sign(user: String, revision: UInt64, nowSeconds: Int64) -> String {
        let header = Self.base64URL(Array("{\"alg\":\"\(signMethod.rawValue)\",\"typ\":\"JWT\"}".utf8))
        let claims: [String: Any] = ["username": user, "revision": revision, "exp": nowSeconds + ttlSeconds]
        // Serializing a dictionary of a string and two integers cannot fail.
        let payload = Self.base64URL(Array(try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])))
        let input = Array("\(header).\(payload)".utf8)
        return "\(header).\(payload).\(Self.base64URL(signature(input)))"
    }

    private func signature(_ input: [UInt8]) -> [UInt8] {
        switch signingKey {
        case .p256(let key):
            // Signing with a valid key does not fail.
            return Array(try! key.signature(for: input).rawRepresentation)
        case .rsa(let key):
            return Array(try! key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    /// The caller `token` names, or nil when it is not a token of this
    /// cluster's key and sign method, is malformed, or expired at `nowSeconds`.
    /// Takes any text: it faces clients (the `token` of gRPC metadata) and
    /// is public for the fuzz target that feeds it arbitrary bytes.
    public func verify(_ token: String, nowSeconds: Int64) -> AuthCaller? {
        guard token.utf8.count <= Self.tokenBytesMax else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.base64URLDecoded(parts[0]), let payloadBytes = Self.base64URLDecoded(parts[1]),
            let signatureBytes = Self.base64URLDecoded(parts[2])
        else { return nil }
        guard let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
            header["alg"] as? String == signMethod.rawValue
        else { return nil }
        let input = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard isValid(signatureBytes, for: input) else { return nil }
        guard let claims = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
            let user = claims["username"] as? String,
            let revision = Self.integer(claims["revision"]), revision >= 0,
            let expiry = Self.integer(claims["exp"]), nowSeconds < expiry
        else { return nil }
        return AuthCaller(name: user, revision: UInt64(revision))
    }

    private func isValid(_ signature: [UInt8], for input: [UInt8]) -> Bool {
        switch verifyingKey {
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: input)
        case .rsa(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: input, padding: .insecurePKCS1v1_5)
        }
    }

    /// A JSON number that is a whole number within Int64, else nil.
    private static func integer(_ value: Any?) -> Int64? {
        // The payload is trusted once its signature verified; this only
        // keeps a value that is not a whole number from trapping.
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 9.0e18 else { return nil }
        return number.int64Value
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Strict base64url without padding, as JWTs use it; nil for anything else.
    static func base64URLDecoded(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count % 4 != 1,
            text.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F })
        else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}
