import Foundation
import Testing
@testable import ConcordStorage

#if canImport(Glibc)
import Glibc
#endif

/// A full disk and a read-only file system, for real: a tiny tmpfs mounted
/// for the test. Mounting needs privileges, so the suite runs only when
/// `CONCORD_STORAGE_MOUNT_TESTS=1` is set (and then requires `mount` to
/// work); the simulated file system covers the same cases everywhere.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONCORD_STORAGE_MOUNT_TESTS"] == "1"))
struct RealDiskFaultTests {
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw Storage.StorageError.invalidArgument("mount \(arguments.joined(separator: " ")) failed")
        }
    }

    static func withTinyFileSystem(bytes: Int, _ body: (String) throws -> Void) throws {
        try withTemporaryDirectory { mountPoint in
            try run(["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", mountPoint])
            defer { _ = umount(mountPoint) }
            try body(mountPoint)
        }
    }

    static func code(of error: Error) -> Int32? {
        if case let .fileSystem(_, _, code) = error as? Storage.StorageError { return code }
        return nil
    }

    @Test func aFullDiskGivesENOSPCLosesNothingAcknowledgedAndLeavesNoDebris() throws {
        try Self.withTinyFileSystem(bytes: 256 << 10) { mountPoint in
            let directory = mountPoint + "/data"
            let configuration = Storage.LogConfiguration(segmentBytes: 64 << 10, recordPayloadBytesMax: 4096)
            var store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            var acknowledged: [Storage.LogRecord] = []
            var attempted: [Storage.LogRecord] = []
            var failure: Error?
            while failure == nil && attempted.count < 10_000 {
                let entries = (0..<10).map { offset in
                    Storage.LogRecord(index: UInt64(attempted.count + offset + 1), term: 1, payload: Array(repeating: UInt8(offset), count: 1000))
                }
                attempted += entries
                do {
                    try store.log.appendAndWait(entries)
                    acknowledged += entries
                } catch {
                    failure = error
                }
            }
            #expect(Self.code(of: try #require(failure)) == ENOSPC)
            #expect(acknowledged.count > 50)
            let snapshot = Storage.SnapshotRecord(index: 5, term: 1, data: Array(repeating: 7, count: 300 << 10))
            #expect(throws: Storage.StorageError.self) { try store.saveSnapshot(snapshot) }
            store.close()
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(names.allSatisfy { !$0.hasSuffix(".tmp") }, "\(names)")

            store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            defer { store.close() }
            let recovered = try allEntries(store)
            #expect(acknowledged.isPrefix(of: recovered))
            #expect(recovered.isPrefix(of: attempted))
            #expect(store.recovery.snapshot == nil)
        }
    }

    @Test func aReadOnlyFileSystemRefusesToOpenWithEROFSAndChangesNothing() throws {
        try Self.withTinyFileSystem(bytes: 1 << 20) { mountPoint in
            let directory = mountPoint + "/data"
            let configuration = Storage.LogConfiguration(segmentBytes: 64 << 10, recordPayloadBytesMax: 4096)
            let store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            let entries = makeEntries(from: 1, count: 20, term: 1)
            try store.log.appendAndWait(entries)
            store.close()
            let before = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                .map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) }

            try Self.run(["-o", "remount,ro", mountPoint])
            do {
                _ = try Storage.NodeStore.open(directory: directory, configuration: configuration)
                Issue.record("a store opened for writing on a read-only file system")
            } catch {
                #expect(Self.code(of: error) == EROFS, "\(error)")
                #expect("\(error)".contains("(EROFS)"))
            }
            try Self.run(["-o", "remount,rw", mountPoint])
            let after = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                .map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) }
            #expect(before == after)
            let reopened = try Storage.NodeStore.open(directory: directory, configuration: configuration)
            defer { reopened.close() }
            #expect(try allEntries(reopened) == entries)
        }
    }
}
