import ConcordServer
import ConcordServerCore
import FuzzSupport

/// A JWT token as a client sends it in gRPC metadata, checked by
/// `JWTTokens.verify` (the split into three parts, strict base64url, the
/// header's `alg`, the signature, then the claims' JSON), under an ES256
/// and an RS256 key pair embedded here (made for this target only).
///
/// Any bytes must be refused or accepted without trapping. A token one key
/// accepts must be refused by the other (the header names one algorithm),
/// and the caller it names must come back from a token re-signed for that
/// user and revision. The bytes are also taken as a user name: a token
/// signed for it must verify as that very name, so arbitrary text goes
/// through the claims' JSON both ways, past the signature the fuzzer
/// cannot forge.
enum JWTTokenFuzzing: FuzzTarget {
    /// The time every token is checked at (seconds since the Unix epoch).
    static let now: Int64 = 1_700_000_000
    static let ttlSeconds: Int64 = 300
    /// The longest user name signed and verified back: a token over
    /// `verify`'s 8 KiB limit is refused on purpose, and a name this long
    /// stays under it even when every byte becomes a six-byte JSON escape.
    static let userBytesMax = 512

    static let es256 = keys(.es256, privateKey: """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7XQjXRQfiqtZI6wR
        7n++GR5wVbie7N5NgF/MmblKXKOhRANCAAToaYEIxVGOcBCQ1i1L3GO232XTPaga
        VdP6iCyxpyHrhaOCmnDR7a8KoWxTKNAsRMQPJz1lozIQDBojMMSSfE72
        -----END PRIVATE KEY-----
        """, publicKey: """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6GmBCMVRjnAQkNYtS9xjtt9l0z2o
        GlXT+ogssach64Wjgppw0e2vCqFsUyjQLETEDyc9ZaMyEAwaIzDEknxO9g==
        -----END PUBLIC KEY-----
        """)

    static let rs256 = keys(.rs256, privateKey: """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDIosY0x7fS6Hs1
        pvGSDEKF3aluPCsZGCEnzuT2AFScJfz8hVBXzqaX1mcEZByV6ep6lEv8uFwHX51n
        CoqcuVCZFX68CHPqpT0zpESW8pdb/XAa5YGO2SYjJuE9Ec/lPOJRyt2SFnxVRxZo
        B03cU17Dlc3MBnSInGtMJ8pE//KBnnxY7G88etuIQuPkRLYJZLLebqFYuK2vHI0J
        Tre9Lx2goxGrx17uJ42TkGkzBcPWzoiQcHTfvPBnvfkdDRx6IBzc6M9rREknH4LN
        Dyp7YOuhIoPbFw0Ag6a0NJiuEiTN7ETK70aVt224jgF6UNxwLravine4ryiOz8J6
        TZo0UG0BAgMBAAECggEAUPhD9kv9dyvkgXAIwLCa7ixZMsgsenme89JO26qheszn
        7r8cf/tBhzh7Ja4DTUr0Gpkbm3eJiF5BhzKdYwd0q/sdRORCZ5lc/CjYl3R6uiCr
        K+egZBZlij0oHD3CgViTW3/78HeLoNzKAZylAvxQW61quuKGCBXcRYUvX65NX5pu
        oHtLdOom7qi+oy83EOlnpFsUcMid8MAKzIR+bRyzsRY5u0TdKePpaDfU3DnQUNcl
        ma2iArn/Xcgg2ixjpTSgRxBjiATJ+CxsIH6ZkUKKPjq8tlWUxKJ6uZaUZoRlLtVe
        C4p8hMiFzABlGbatlPWePIgSQprJ7PUE7ouC+Gx3KwKBgQD+QB0aydLBJsj8iK5X
        Fzd7CWwdvG30c67OWA3D+B4RrJxHgBzo7cJHyNQA1GEGjCAcU4VWg8P+P6VATUtC
        vucXWCnF7axGyK38vZ+17sWBnBiiqkSOuX9CA3YFj4zhKwpWPW6YEyBlujl9SyWL
        UqHyiWQVFcA5xM5os37P/sk/2wKBgQDKBDacvCAfIpRAoS1lzW9Jp12O+uQQXZAA
        /8S5qOYfE5YYwYXhDQfyprtfCxJcVDc4Jq7eYFjsgZDyIPfWgxhoXshpEs9UrR8s
        0akdFGymLFiRMkVyeLenOrVomjo29YrVuL+8dcY55i3ADcc0/cB1+nvxEGKWzscU
        Bd0HHu/7UwKBgB1aLYIANtKRtbZh2S64wXD034R3UoJcMJwl0kEDjgUgVlJy2eOS
        P1GmP8NwwVrOJo7enZAlWiUqF9vakIu+GlO5m+j7zV3GoT+CbMPGMwsJiFaPLacE
        h0qJt8BgmDUOkPzvzqrD2oOkAisS19zDx2qGrgU5I54HuISh5EwC8BztAoGANOxP
        plX+kEmNzzSqYP4lxoTrFLcTolnwjOJ0ljLyPnfyHYAtY5z3VRFrCuYqpDeH09UG
        gMl64lK7N0N9yhvD/CvAkw5TdJp6DVLL3Atqv0nk1fz2hpureUr/FW06DQXcnkrt
        KCEukiKEH8k8Q9yqW/4IFEo3mcyICO3UTrZDJnMCgYEAuS4/2bHfJgM24FEfH8r1
        LVkG2sxWIru99Tx2RoGWb7fiHzwm5I9wf4Hi9Ro3xR42YXUjqnPWEfNda2QWPqi+
        vxEiiujagVnDmyNqdig3LedOL5yIObVTApSdItyYmoh+RY0jXVReRGdZNQKlIPxI
        yYdvtFsdFtv/92Xs7oZgFJE=
        -----END PRIVATE KEY-----
        """, publicKey: """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyKLGNMe30uh7NabxkgxC
        hd2pbjwrGRghJ87k9gBUnCX8/IVQV86ml9ZnBGQclenqepRL/LhcB1+dZwqKnLlQ
        mRV+vAhz6qU9M6RElvKXW/1wGuWBjtkmIybhPRHP5TziUcrdkhZ8VUcWaAdN3FNe
        w5XNzAZ0iJxrTCfKRP/ygZ58WOxvPHrbiELj5ES2CWSy3m6hWLitrxyNCU63vS8d
        oKMRq8de7ieNk5BpMwXD1s6IkHB037zwZ735HQ0ceiAc3OjPa0RJJx+CzQ8qe2Dr
        oSKD2xcNAIOmtDSYrhIkzexEyu9GlbdtuI4BelDccC62r4p3uK8ojs/Cek2aNFBt
        AQIDAQAB
        -----END PUBLIC KEY-----
        """)

    static func keys(_ method: JWTTokens.SignMethod, privateKey: String, publicKey: String) -> JWTTokens {
        do {
            return try JWTTokens(signMethod: method, privateKeyPEM: privateKey, publicKeyPEM: publicKey, ttlSeconds: ttlSeconds)
        } catch {
            fatalError("the embedded \(method.rawValue) keys do not load: \(error)")
        }
    }

    static func check(_ bytes: [UInt8]) {
        let token = String(decoding: bytes, as: UTF8.self)
        for (tokens, other) in [(es256, rs256), (rs256, es256)] {
            guard let caller = tokens.verify(token, nowSeconds: now) else { continue }
            precondition(other.verify(token, nowSeconds: now) == nil, "a token verifies under both sign methods")
            let resigned = tokens.sign(user: caller.name, revision: caller.revision, nowSeconds: now)
            precondition(tokens.verify(resigned, nowSeconds: now) == caller, "a re-signed token names another caller than \(caller)")
        }
        guard bytes.count <= userBytesMax else { return }
        let caller = AuthCaller(name: token, revision: revision(for: bytes))
        let signed = es256.sign(user: caller.name, revision: caller.revision, nowSeconds: now)
        precondition(es256.verify(signed, nowSeconds: now) == caller, "a token signed for a user does not name that user")
        precondition(es256.verify(signed, nowSeconds: now + ttlSeconds) == nil, "a token is accepted once it expired")
    }

    /// A revision taken from the input (below 2^48: auth revisions count
    /// changes to the auth store, and the claims carry them as JSON numbers).
    static func revision(for bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01B3 }
        return hash >> 16
    }

    /// Valid ES256 and RS256 tokens, then near misses, each checked to be
    /// accepted or refused as meant. ECDSA signatures take a fresh nonce, so
    /// the ES256 seeds (and the near misses made from them) differ each
    /// time `Fuzz/fuzz.sh seeds` writes them; the RS256 ones do not.
    static func seeds() throws -> [[UInt8]] {
        var valid: [String] = []
        for tokens in [es256, rs256] {
            valid.append(tokens.sign(user: "root", revision: 1, nowSeconds: now))
            valid.append(tokens.sign(user: "alice", revision: 42, nowSeconds: now - 60))
            valid.append(tokens.sign(user: "ünï/\"cødé\"\\", revision: 7, nowSeconds: now))
        }
        let es = valid[0].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let rs = valid[3].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let nearMisses: [String] = [
            es256.sign(user: "root", revision: 1, nowSeconds: now - ttlSeconds),  // expired a moment ago
            rs[0] + "." + es[1] + "." + es[2],  // an RS256 header over an ES256 signature
            es[0] + "." + base64URL(#"{"exp":1700000300,"revision":2,"username":"root"}"#) + "." + es[2],  // claims changed
            es[0] + "." + base64URL(#"{"exp":1e300,"revision":-1,"username":7}"#) + "." + es[2],
            base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + es[1] + ".",  // unsigned
            es[0] + "." + es[1] + "." + String(es[2].dropLast()),  // a signature cut short
            es[0] + "." + es[1] + "." + es[2] + "=",  // padding
            rs[0] + "." + rs[1] + "." + rs[2] + ".x",  // four parts
            "+" + String(es[0].dropFirst()) + "." + es[1] + "." + es[2],  // not base64url
            base64URL(#"{"alg":"ES256","typ":"JWT","x":[[[{"y":1e999}]]]}"#) + "." + es[1] + "." + es[2],  // another header
            "",
            "..",
        ]
        for token in valid where es256.verify(token, nowSeconds: now) == nil && rs256.verify(token, nowSeconds: now) == nil {
            throw SeedError(description: "a seed token does not verify: \(token)")
        }
        for token in nearMisses where es256.verify(token, nowSeconds: now) != nil || rs256.verify(token, nowSeconds: now) != nil {
            throw SeedError(description: "a near-miss token verifies: \(token)")
        }
        return (valid + nearMisses).map { Array($0.utf8) }
    }

    /// A seed that does not do what it was made for.
    struct SeedError: Error, CustomStringConvertible {
        var description: String
    }

    /// Base64url without padding, as JWTs use it.
    static func base64URL(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let bytes = Array(text.utf8)
        var encoded = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = bytes[start..<min(start + 3, bytes.count)]
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for index in 0...chunk.count { encoded.append(alphabet[value >> (18 - 6 * index) & 0x3F]) }
        }
        return encoded
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    JWTTokenFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    JWTTokenFuzzing.initialize()
}
