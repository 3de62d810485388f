#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Storage {
    /// Every failure of Concord's storage. Each case names the file (and,
    /// for corruption, the byte offset) so an operator can find it.
    public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A system call failed; `code` is its `errno` (for example `ENOSPC`
        /// for a full disk, `EACCES` or `EROFS` for a read-only directory).
        case fileSystem(operation: String, path: String, code: Int32)
        /// A log record that is neither whole nor a torn tail.
        case corruptRecord(file: String, offset: UInt64, reason: String)
        /// A segment file whose header is damaged or does not match its name.
        case corruptSegmentHeader(file: String, reason: String)
        /// Segments whose indexes do not follow on, or a log that does not
        /// follow on from the snapshot.
        case logGap(file: String, expectedIndex: UInt64, foundIndex: UInt64)
        /// A snapshot file that fails its checks.
        case corruptSnapshot(file: String, offset: UInt64, reason: String)
        /// A hard-state file that fails its checks.
        case corruptHardState(file: String, offset: UInt64, reason: String)
        /// A file in the data directory that Concord did not write.
        case unexpectedFile(directory: String, name: String)
        /// Another process holds the data directory's lock.
        case directoryLocked(path: String)
        /// A record payload larger than the configured limit.
        case recordTooLarge(payloadBytes: Int, limitBytes: Int)
        /// Entries appended out of order.
        case nonContiguousAppend(expectedIndex: UInt64, foundIndex: UInt64)
        /// An index outside the range the log holds.
        case indexOutOfRange(index: UInt64, firstIndex: UInt64, lastIndex: UInt64)
        /// An argument that breaks the operation's contract.
        case invalidArgument(String)
        /// An earlier write or sync failed; the log refuses further work
        /// until it is reopened (and recovered) from disk.
        case logFailed(String)
        /// The log was closed.
        case closed

        public var description: String {
            switch self {
            case let .fileSystem(operation, path, code):
                return "\(operation) '\(path)' failed: \(Self.describe(errno: code))"
            case let .corruptRecord(file, offset, reason):
                return "corrupt log record in '\(file)' at byte offset \(offset): \(reason)"
            case let .corruptSegmentHeader(file, reason):
                return "corrupt segment header in '\(file)' at byte offset 0: \(reason)"
            case let .logGap(file, expected, found):
                return "log gap at '\(file)': expected index \(expected), found \(found)"
            case let .corruptSnapshot(file, offset, reason):
                return "corrupt snapshot '\(file)' at byte offset \(offset): \(reason)"
            case let .corruptHardState(file, offset, reason):
                return "corrupt hard state '\(file)' at byte offset \(offset): \(reason)"
            case let .unexpectedFile(directory, name):
                return "unexpected file '\(name)' in data directory '\(directory)': not written by Concord; move it away"
            case let .directoryLocked(path):
                return "data directory lock '\(path)' is held by another process"
            case let .recordTooLarge(bytes, limit):
                return "record payload of \(bytes) bytes exceeds the limit of \(limit) bytes"
            case let .nonContiguousAppend(expected, found):
                return "append out of order: expected index \(expected), got \(found)"
            case let .indexOutOfRange(index, first, last):
                return "index \(index) outside the log's range \(first)...\(last)"
            case let .invalidArgument(message):
                return "invalid argument: \(message)"
            case let .logFailed(reason):
                return "the log failed earlier and must be reopened: \(reason)"
            case .closed:
                return "the log is closed"
            }
        }

        /// `strerror` with the symbolic name for the codes storage cares about.
        static func describe(errno code: Int32) -> String {
            let message = String(cString: strerror(code))
            let names: [Int32: String] = [
                ENOSPC: "ENOSPC", EACCES: "EACCES", EROFS: "EROFS", EIO: "EIO",
                ENOENT: "ENOENT", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EPERM: "EPERM",
                EDQUOT: "EDQUOT",
            ]
            if let name = names[code] { return "\(message) (\(name))" }
            return "\(message) (errno \(code))"
        }
    }
}
