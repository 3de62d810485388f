import ConcordFoundation
import ConcordServerCore
import ConcordStorage
import Foundation

/// The identity a member that joined a running cluster keeps in its data
/// directory: its member id (derived from its peer URL when it joined) and
/// the cluster id it adopted (0 until it heard from the cluster).
///
/// Founding members have no such file: their ids derive from their names
/// and the cluster id from the founding members, as before membership
/// changes existed, so older data directories keep working.
///
/// File `.member-identity` (a dot-file, which the log storage leaves
/// alone): the magic `CNID`, a version byte (1), member id
/// and cluster id (8 bytes each, little-endian), and a CRC-32C of what
/// precedes it (4 bytes, little-endian). Replaced atomically (write a
/// temporary file, sync it, rename it, sync the directory).
struct MemberIdentity: Sendable, Hashable {
    static let fileName = ".member-identity"
    static let magic: [UInt8] = Array("CNID".utf8)
    static let version: UInt8 = 1
    static let encodedBytes = 25

    var memberID: UInt64
    var clusterID: UInt64

    var encoded: [UInt8] {
        var writer = BinaryWriter(capacity: Self.encodedBytes)
        writer.writeRaw(Self.magic)
        writer.writeByte(Self.version)
        writer.writeFixed(memberID)
        writer.writeFixed(clusterID)
        writer.writeFixed(Self.checksum(writer.bytes))
        return writer.bytes
    }

    init(memberID: UInt64, clusterID: UInt64) {
        self.memberID = memberID
        self.clusterID = clusterID
    }

    /// Decodes `encoded`.
    /// - Throws: `WireError` for anything `encoded` cannot produce.
    init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.count == Self.encodedBytes else { throw .invalid("member identity of \(bytes.count) bytes") }
        guard Array(bytes.prefix(4)) == Self.magic else { throw .invalid("member identity has the wrong magic") }
        var reader = BinaryReader(bytes[4...])
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported member identity version \(version)") }
        memberID = try reader.wireUInt64()
        clusterID = try reader.wireUInt64()
        let stored = try reader.wireUInt32()
        guard stored == Self.checksum(Array(bytes.prefix(Self.encodedBytes - 4))) else {
            throw .invalid("member identity checksum mismatch")
        }
        guard memberID != 0 else { throw .invalid("member identity names member 0") }
    }

    /// CRC-32C (Castagnoli), the storage files' checksum.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        Storage.CRC32C.checksum(bytes)
    }

    /// The identity stored in `directory`, nil when there is none.
    /// - Throws: `ServerConfigurationError` naming the file when it exists
    ///   but cannot be read or decoded.
    static func load(from directory: String) throws(ServerConfigurationError) -> MemberIdentity? {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid("cannot read \(path)")
        }
        do {
            return try MemberIdentity(decoding: Array(data))
        } catch {
            throw .invalid("\(path) is damaged: \(error)")
        }
    }

    /// The file whose presence records that this member was removed from
    /// its cluster (a dot-file, which the log storage leaves alone). A
    /// removed member may not have learned durably that its removal
    /// committed, and nobody would tell it again after a restart.
    static let removedMarkerName = ".member-removed"

    /// True when `directory` records that its member was removed.
    static func isRemoved(directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + removedMarkerName)
    }

    /// Records durably that the member of `directory` was removed.
    /// - Throws: `ServerConfigurationError` when it cannot be written.
    static func markRemoved(directory: String) throws(ServerConfigurationError) {
        let path = directory + "/" + removedMarkerName
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .invalid("cannot write \(path): errno \(errno)") }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced else { throw .invalid("cannot sync \(path): errno \(errno)") }
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Stores the identity in `directory`, replacing any earlier one.
    /// - Throws: `ServerConfigurationError` when it cannot be written durably.
    func save(in directory: String) throws(ServerConfigurationError) {
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        let bytes = encoded
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            return write(descriptor, buffer.baseAddress, buffer.count) == buffer.count && fsync(descriptor) == 0
        }
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .invalid("cannot write \(path): errno \(errno)")
        }
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
