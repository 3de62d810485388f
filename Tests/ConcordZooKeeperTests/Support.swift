import ConcordFoundation
@testable import ConcordZooKeeper

// Hand-built jute bytes, written independently of JuteWriter so that the
// wire tests compare the codec against bytes laid out by hand.

/// A jute `int`: four bytes, most significant first.
func int(_ value: Int32) -> [UInt8] {
    let bits = UInt32(bitPattern: value)
    return [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
}

/// A jute `long`: eight bytes, most significant first.
func long(_ value: Int64) -> [UInt8] {
    let bits = UInt64(bitPattern: value)
    return (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * UInt64($0))) }
}

/// A jute `ustring`: its UTF-8 length as an int, then the bytes.
func string(_ value: String) -> [UInt8] {
    int(Int32(value.utf8.count)) + Array(value.utf8)
}

/// A jute `buffer`.
func buffer(_ value: [UInt8]) -> [UInt8] {
    int(Int32(value.count)) + value
}

/// The bytes of a UTF-8 string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// SHA-1 of the few credentials the tests use, computed once with a
/// standard tool: the core takes SHA-1 from its shell, and the tests are a
/// shell that knows only these.
let knownSHA1: [String: [UInt8]] = [
    "super:superpw": [131, 218, 13, 216, 123, 109, 61, 249, 252, 48, 197, 137, 103, 106, 248, 228, 218, 127, 44, 128],
    "alice:secret": [105, 133, 229, 44, 234, 68, 162, 134, 149, 213, 196, 64, 189, 66, 245, 126, 159, 80, 183, 177],
    "bob:hunter2": [213, 139, 181, 175, 32, 151, 56, 129, 123, 151, 33, 115, 110, 100, 57, 39, 227, 9, 57, 151],
]

/// The tests' SHA-1: a lookup in ``knownSHA1``.
let testSHA1: @Sendable ([UInt8]) -> [UInt8] = { input in
    guard let digest = knownSHA1[String(decoding: input, as: UTF8.self)] else {
        preconditionFailure("no known SHA-1 for \(String(decoding: input, as: UTF8.self))")
    }
    return digest
}

/// The digest identities of the known credentials (base64 of the digests above).
let aliceIdentity = ZooKeeper.Identity(scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")
let bobIdentity = ZooKeeper.Identity(scheme: "digest", id: "bob:1Yu1ryCXOIF7lyFzbmQ5J+MJOZc=")

/// A state machine driven by hand: transactions at increasing times from server 1.
struct Replica {
    var machine = ZooKeeper.StateMachine()
    var time: Int64 = 1_000

    @discardableResult
    mutating func apply(_ command: ZooKeeper.Command, server: UInt64 = 1, tag: UInt64 = 0) -> ZooKeeper.Applied {
        time += 10
        return machine.apply(ZooKeeper.Transaction(origin: ZooKeeper.Origin(server: server, tag: tag), timeMilliseconds: time, command: command))
    }

    /// Opens a session owned by `server`.
    @discardableResult
    mutating func openSession(_ id: Int64, timeout: Int32 = 10_000, server: UInt64 = 1) -> ZooKeeper.Applied {
        apply(.createSession(sessionID: id, timeoutMilliseconds: timeout, password: Array(repeating: UInt8(id & 0xFF), count: 16)), server: server)
    }

    /// A write by `session` with `identities`.
    @discardableResult
    mutating func write(_ request: ZooKeeper.WriteRequest, session: Int64 = 7, identities: [ZooKeeper.Identity] = [], server: UInt64 = 1) -> ZooKeeper.Applied {
        apply(.write(sessionID: session, identities: identities, request: request), server: server)
    }

    /// Creates a node (a single create request).
    @discardableResult
    mutating func create(
        _ path: String, _ data: String = "", mode: ZooKeeper.CreateMode = .persistent, acl: [ZooKeeper.ACL] = ZooKeeper.ACL.openUnsafe,
        session: Int64 = 7, identities: [ZooKeeper.Identity] = [], opCode: ZooKeeper.OpCode = .create, ttl: Int64 = -1
    ) -> ZooKeeper.Applied {
        write(.single(.create(ZooKeeper.CreateOperation(opCode: opCode, path: path, data: bytes(data), acl: acl, mode: mode, ttlMilliseconds: ttl))),
              session: session, identities: identities)
    }
}

extension ZooKeeper.Applied.Outcome {
    /// The error of a failed request, or nil.
    var error: ZooKeeper.ErrorCode? {
        if case .error(let code) = self { return code }
        return nil
    }

    /// The response of a successful request, or nil.
    var response: ZooKeeper.Response? {
        if case .response(let response) = self { return response }
        return nil
    }
}

extension Result {
    /// The error of a failed result, or nil.
    var failureCode: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
