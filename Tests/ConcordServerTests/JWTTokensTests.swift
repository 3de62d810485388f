import ConcordServerCore
import Foundation
import Testing

@testable import ConcordServer

/// etcd's JWT tokens with keys made by the openssl command: what one
/// member signs every member verifies; anything tampered with, expired,
/// signed by another key or malformed is not a token.
@Suite struct JWTTokensTests {
    /// A key pair in a temporary directory: `priv.pem` and `pub.pem`.
    static func keys(_ method: JWTTokens.SignMethod, in directory: URL) throws -> (privateKey: String, publicKey: String) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let privateKey = directory.appendingPathComponent("priv.pem").path, publicKey = directory.appendingPathComponent("pub.pem").path
        switch method {
        case .es256: try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", privateKey])
        case .rs256: try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKey])
        }
        try openssl(["pkey", "-in", privateKey, "-pubout", "-out", publicKey])
        return (privateKey, publicKey)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError(description: "openssl \(arguments) failed") }
    }

    private static func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("concord-jwt-\(UUID().uuidString)")
    }

    @Test func theOptionIsParsedAsEtcdSpellsIt() throws {
        #expect(try JWTTokens.parseOption("simple") == nil)
        let options = try JWTTokens.parseOption("jwt,pub-key=/k/pub.pem,priv-key=/k/priv.pem,sign-method=ES256,ttl=10m")
        #expect(options == JWTTokens.Options(publicKeyPath: "/k/pub.pem", privateKeyPath: "/k/priv.pem", signMethod: .es256, ttlSeconds: 600))
        #expect(try JWTTokens.parseOption("jwt,pub-key=p,priv-key=q,sign-method=RS256")?.ttlSeconds == 300)
        #expect(JWTTokens.parseDurationSeconds("1h30m") == 5400)
        for bad in [
            "", "jwt", "simple,ttl=5m", "opaque", "jwt,pub-key=p,priv-key=q", "jwt,pub-key=p,priv-key=q,sign-method=HS256",
            "jwt,pub-key=p,sign-method=ES256", "jwt,pub-key=p,priv-key=q,sign-method=ES256,ttl=0s",
            "jwt,pub-key=p,priv-key=q,sign-method=ES256,ttl=5", "jwt,pub-key=p,priv-key=q,sign-method=ES256,ttl=99999999999h",
            "jwt,pub-key=p,priv-key=q,sign-method=ES256,colour=blue", "jwt,pub-key=,priv-key=q,sign-method=ES256", "jwt,=x",
        ] {
            #expect(throws: ServerConfigurationError.self, "\(bad)") { try JWTTokens.parseOption(bad) }
        }
    }

    @Test(arguments: JWTTokens.SignMethod.allCases)
    func aSignedTokenVerifiesUntilItExpires(method: JWTTokens.SignMethod) throws {
        let directory = Self.temporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try Self.keys(method, in: directory)
        let tokens = try JWTTokens(.init(publicKeyPath: keys.publicKey, privateKeyPath: keys.privateKey, signMethod: method, ttlSeconds: 300))
        // Another member: the same files, loaded on its own.
        let other = try JWTTokens(.init(publicKeyPath: keys.publicKey, privateKeyPath: keys.privateKey, signMethod: method, ttlSeconds: 300))
        let token = tokens.sign(user: "alice", revision: 7, nowSeconds: 1_000_000)
        #expect(token.split(separator: ".").count == 3)
        #expect(other.verify(token, nowSeconds: 1_000_000) == AuthCaller(name: "alice", revision: 7))
        #expect(other.verify(token, nowSeconds: 1_000_299) == AuthCaller(name: "alice", revision: 7))
        #expect(other.verify(token, nowSeconds: 1_000_300) == nil, "expired")
        // The claims are etcd's.
        let payload = try #require(JWTTokens.base64URLDecoded(token.split(separator: ".")[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect(Set(claims.keys) == ["username", "revision", "exp"])
    }

    @Test func tamperedForeignAndMalformedTokensAreRefused() throws {
        let directory = Self.temporary(), foreignDirectory = Self.temporary()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: foreignDirectory)
        }
        let keys = try Self.keys(.es256, in: directory), foreignKeys = try Self.keys(.es256, in: foreignDirectory)
        let tokens = try JWTTokens(.init(publicKeyPath: keys.publicKey, privateKeyPath: keys.privateKey, signMethod: .es256, ttlSeconds: 300))
        let foreign = try JWTTokens(
            .init(publicKeyPath: foreignKeys.publicKey, privateKeyPath: foreignKeys.privateKey, signMethod: .es256, ttlSeconds: 300))
        let now: Int64 = 1_000_000
        let token = tokens.sign(user: "alice", revision: 7, nowSeconds: now)
        #expect(tokens.verify(foreign.sign(user: "alice", revision: 7, nowSeconds: now), nowSeconds: now) == nil, "another key")
        let parts = token.split(separator: ".").map(String.init)
        let rootClaims = JWTTokens.base64URL(Array(#"{"exp":9999999999,"revision":7,"username":"root"}"#.utf8))
        let noneHeader = JWTTokens.base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let rsHeader = JWTTokens.base64URL(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        for bad in [
            "", ".", "..", "abc", "a.b", "a.b.c.d", parts[0] + "." + rootClaims + "." + parts[2], noneHeader + "." + parts[1] + ".",
            noneHeader + "." + parts[1] + "." + parts[2], rsHeader + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + String(parts[2].reversed()), parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "=", token + " ", token.replacingOccurrences(of: "-", with: "+"),
            String(repeating: "a", count: JWTTokens.tokenBytesMax + 1), "simpletoken.12",
        ] where bad != token {
            #expect(tokens.verify(bad, nowSeconds: now) == nil, "\(bad)")
        }
        // Every single-character change of a valid token is refused or still names alice at revision 7.
        let characters = Array(token)
        for index in characters.indices {
            var changed = characters
            changed[index] = changed[index] == "A" ? "B" : "A"
            let caller = tokens.verify(String(changed), nowSeconds: now)
            #expect(caller == nil || caller == AuthCaller(name: "alice", revision: 7), "position \(index)")
        }
    }

    @Test func keysThatDoNotFitAreRefusedAtStart() throws {
        let directory = Self.temporary(), otherDirectory = Self.temporary(), rsaDirectory = Self.temporary()
        defer {
            for url in [directory, otherDirectory, rsaDirectory] { try? FileManager.default.removeItem(at: url) }
        }
        let keys = try Self.keys(.es256, in: directory), other = try Self.keys(.es256, in: otherDirectory)
        let rsa = try Self.keys(.rs256, in: rsaDirectory)
        #expect(throws: ServerConfigurationError.self, "a public key of another pair") {
            try JWTTokens(.init(publicKeyPath: other.publicKey, privateKeyPath: keys.privateKey, signMethod: .es256, ttlSeconds: 300))
        }
        #expect(throws: ServerConfigurationError.self, "RSA keys with ES256") {
            try JWTTokens(.init(publicKeyPath: rsa.publicKey, privateKeyPath: rsa.privateKey, signMethod: .es256, ttlSeconds: 300))
        }
        #expect(throws: ServerConfigurationError.self, "a missing file") {
            try JWTTokens(.init(publicKeyPath: keys.publicKey + ".absent", privateKeyPath: keys.privateKey, signMethod: .es256, ttlSeconds: 300))
        }
    }
}
