import ConcordFoundation
import ConcordServerCore
import ConcordStorage
import Foundation

/// The replication engine a data directory was written by. Raft and
/// Multi-Paxos keep different things under the same write-ahead log shapes
/// (a term against a promised ballot, entries against slots with a kind
/// byte), so a directory one engine wrote must never be opened by the other.
///
/// File `.consensus-engine` (a dot-file, which the log storage leaves
/// alone): the magic `CNCE`, a version byte (1), the engine's code (1 Raft,
/// 2 Multi-Paxos), and a CRC-32C of what precedes it (4 bytes,
/// little-endian). Written atomically (a temporary file, synced, renamed,
/// the directory synced) before the log is created.
///
/// A data directory that holds data but no record was written before
/// engines were recorded, when only Raft existed: it counts as Raft.
struct EngineRecord: Sendable, Hashable {
    static let fileName = ".consensus-engine"
    static let magic: [UInt8] = Array("CNCE".utf8)
    static let version: UInt8 = 1
    static let encodedBytes = 10

    var engine: ConsensusEngineKind

    /// The engine's code in the file.
    static func code(_ engine: ConsensusEngineKind) -> UInt8 {
        switch engine {
        case .raft: 1
        case .multiPaxos: 2
        }
    }

    var encoded: [UInt8] {
        var writer = BinaryWriter(capacity: Self.encodedBytes)
        writer.writeRaw(Self.magic)
        writer.writeByte(Self.version)
        writer.writeByte(Self.code(engine))
        writer.writeFixed(Storage.CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    init(engine: ConsensusEngineKind) {
        self.engine = engine
    }

    /// Decodes `encoded`.
    /// - Throws: `WireError` for anything `encoded` cannot produce.
    init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.count == Self.encodedBytes else { throw .invalid("engine record of \(bytes.count) bytes") }
        guard Array(bytes.prefix(4)) == Self.magic else { throw .invalid("engine record has the wrong magic") }
        var reader = BinaryReader(bytes[4...])
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported engine record version \(version)") }
        let code = try reader.wireByte()
        let stored = try reader.wireUInt32()
        guard stored == Storage.CRC32C.checksum(Array(bytes.prefix(Self.encodedBytes - 4))) else {
            throw .invalid("engine record checksum mismatch")
        }
        guard let engine = ConsensusEngineKind.allCases.first(where: { Self.code($0) == code }) else {
            throw .invalid("unknown engine code \(code)")
        }
        self.engine = engine
    }

    /// The record stored in `directory`, nil when there is none.
    /// - Throws: `ServerConfigurationError` naming the file when it exists
    ///   but cannot be read or decoded.
    static func load(from directory: String) throws(ServerConfigurationError) -> EngineRecord? {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid("cannot read \(path)")
        }
        do {
            return try EngineRecord(decoding: Array(data))
        } catch {
            throw .invalid("\(path) is damaged: \(error)")
        }
    }

    /// Stores the record in `directory`, durably.
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
        guard directoryDescriptor >= 0 else { throw .invalid("cannot open \(directory) to sync it: errno \(errno)") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw .invalid("cannot sync \(directory): errno \(errno)") }
    }

    /// Binds `directory` to `engine`: checks the engine it records (a
    /// directory with data and no record counts as Raft) and, when the two
    /// agree and nothing is recorded yet, records `engine`.
    /// - Parameters:
    ///   - directory: the data directory, which exists.
    ///   - engine: the engine this start runs (`--consensus`).
    /// - Throws: `ServerConfigurationError` naming both engines when the
    ///   directory belongs to the other one (nothing is written then), or
    ///   when the record is damaged or cannot be written.
    static func bind(directory: String, to engine: ConsensusEngineKind) throws(ServerConfigurationError) {
        if let recorded = try load(from: directory) {
            guard recorded.engine == engine else { throw mismatch(directory: directory, recorded: recorded.engine, requested: engine) }
            return
        }
        if holdsData(directory) {
            guard engine == .raft else {
                throw mismatch(directory: directory, recorded: .raft, requested: engine, unrecorded: true)
            }
        }
        try EngineRecord(engine: engine).save(in: directory)
    }

    /// True when `directory` holds anything but dot-files (the log's
    /// segments, its hard state, snapshots).
    static func holdsData(_ directory: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { !$0.hasPrefix(".") }
    }

    /// The refusal of a directory written by `recorded` to a start with `requested`.
    static func mismatch(
        directory: String, recorded: ConsensusEngineKind, requested: ConsensusEngineKind, unrecorded: Bool = false
    ) -> ServerConfigurationError {
        let origin = unrecorded ? " (it predates engine records, so it counts as \(recorded))" : ""
        return .invalid(
            "--data-dir \(directory) was written by the \(recorded) engine\(origin) and cannot be opened with "
                + "--consensus \(requested): start with --consensus \(recorded), or use a new data directory")
    }
}
