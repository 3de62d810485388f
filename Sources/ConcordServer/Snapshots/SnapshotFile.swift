import ConcordServerCore
import ConcordKV
import Crypto

/// A snapshot saved by `etcdctl snapshot save` from a Concord member (the
/// Maintenance Snapshot stream), checked and decoded.
///
/// Layout: the encoded key-value state machine (`KVStateMachine.snapshot()`),
/// zero bytes up to a multiple of 512 bytes, then the SHA-256 of everything
/// before it (32 bytes). The file is refused unless its length fits that
/// layout, the hash matches, the padding is zeros and the state decodes.
public struct SnapshotFile: Sendable {
    /// The SHA-256 trailer's length.
    public static let trailerBytes = 32
    /// The multiple the body is padded to.
    public static let alignmentBytes = MaintenanceService.snapshotAlignmentBytes

    /// The decoded state: the store with its history, and the leases.
    public let state: KVStateMachine
    /// The state's canonical encoding (the body without its padding).
    public let stateBytes: [UInt8]
    /// The SHA-256 trailer.
    public let sha256: [UInt8]
    /// The file's length in bytes.
    public let fileBytes: Int

    /// Checks and decodes a saved snapshot's bytes.
    /// - Throws: `SnapshotFileError` naming what is wrong.
    public init(contents bytes: [UInt8]) throws(SnapshotFileError) {
        guard bytes.count >= Self.trailerBytes + Self.alignmentBytes else {
            throw .tooShort(bytes: bytes.count)
        }
        let bodyCount = bytes.count - Self.trailerBytes
        guard bodyCount % Self.alignmentBytes == 0 else { throw .misaligned(bodyBytes: bodyCount) }
        let body = Array(bytes[..<bodyCount])
        let trailer = Array(bytes[bodyCount...])
        guard Self.checksum(body) == trailer else { throw .hashMismatch }
        let length: Int
        let state: KVStateMachine
        do {
            length = try KVStateMachine.snapshotLength(atStartOf: body)
            state = try KVStateMachine(snapshot: Array(body[..<length]))
        } catch {
            throw .undecodable("\(error)")
        }
        guard body[length...].allSatisfy({ $0 == 0 }), bodyCount - length < Self.alignmentBytes else {
            throw .badPadding
        }
        self.state = state
        self.stateBytes = Array(body[..<length])
        self.sha256 = trailer
        self.fileBytes = bytes.count
    }

    /// The bytes of a saved snapshot of `state` (`KVStateMachine.snapshot()`):
    /// what the Maintenance Snapshot stream sends.
    public static func contents(ofState state: [UInt8]) -> [UInt8] {
        var body = state
        let remainder = body.count % alignmentBytes
        if remainder != 0 { body += [UInt8](repeating: 0, count: alignmentBytes - remainder) }
        return body + checksum(body)
    }

    /// The trailer of `body`: its SHA-256 (swift-crypto's `SHA256`), the
    /// checksum etcd appends to a snapshot stream and etcdctl checks.
    public static func checksum(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: body))
    }

    /// The store's revision when the snapshot was taken.
    public var revision: Int64 { state.store.currentRevision }

    /// The keys live at `revision`.
    public var totalKeys: Int64 {
        (try? state.store.range(RangeRequest(key: [0], rangeEnd: [0], countOnly: true)).count) ?? 0
    }

    /// The HashKV hash at `revision` (what `etcdctl endpoint hashkv`
    /// answered for that revision on the member saved from).
    public var hash: UInt32 { KVHash.hash(state.store, upTo: revision) }
}

/// Why a saved snapshot was refused.
public enum SnapshotFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Shorter than one padded block and the trailer: cut short.
    case tooShort(bytes: Int)
    /// The body is not a multiple of 512 bytes: cut short or not a Concord snapshot.
    case misaligned(bodyBytes: Int)
    /// The SHA-256 trailer does not match the body.
    case hashMismatch
    /// The body's padding holds non-zero bytes.
    case badPadding
    /// The state inside does not decode.
    case undecodable(String)

    /// A message for the operator.
    public var description: String {
        switch self {
        case .tooShort(let bytes):
            "snapshot file too short (\(bytes) bytes): truncated, or not saved from Concord"
        case .misaligned(let bytes):
            "snapshot body of \(bytes) bytes is not a multiple of \(SnapshotFile.alignmentBytes): truncated, or not saved from Concord"
        case .hashMismatch: "snapshot SHA-256 does not match its contents: the file is corrupted or truncated"
        case .badPadding: "snapshot padding holds data: the file is corrupted"
        case .undecodable(let reason): "snapshot contents cannot be decoded: \(reason)"
        }
    }
}
