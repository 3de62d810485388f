#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The available store's actor epoch, kept in the data directory
/// (`.dynamo-actor-epoch`, the epoch as decimal text; hidden, as the
/// storage recovery expects of files that are not its own).
///
/// The store's copies go to its log (`StoreLog`), synced as
/// `--redis-appendfsync` says; the epoch must survive any crash, whatever
/// that setting: a member restarted on an epoch it used before would mint dots
/// that name earlier writes (docs/dynamo.md, "Actors and epochs"). The
/// file is written to a temporary name, synced, renamed over the old one,
/// and the directory synced, before the member sends anything in the new
/// epoch.
struct StoreEpochFile {
    /// The file's name in the data directory.
    static let fileName = ".dynamo-actor-epoch"

    /// The data directory.
    let directory: String

    private var path: String { directory + "/" + Self.fileName }

    /// The recorded epoch; 0 when the file does not exist.
    /// - Throws: `ServerConfigurationError` when the file exists but does
    ///   not hold an epoch.
    func load() throws(ServerConfigurationError) -> UInt64 {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            if errno == ENOENT { return 0 }
            throw .invalid("cannot read \(path): errno \(errno)")
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0, let epoch = UInt64(String(decoding: buffer[..<count], as: UTF8.self)) else {
            throw .invalid("\(path) does not hold an actor epoch")
        }
        return epoch
    }

    /// Records `epoch` durably.
    /// - Throws: `ServerConfigurationError` when it cannot be written.
    func save(_ epoch: UInt64) throws(ServerConfigurationError) {
        let temporary = path + ".tmp"
        let bytes = Array(String(epoch).utf8)
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
