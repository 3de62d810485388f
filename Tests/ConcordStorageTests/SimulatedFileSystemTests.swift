import ConcordFoundation
import Testing
@testable import ConcordStorage

#if canImport(Glibc)
import Glibc
#endif

/// The fault layer is itself tested: the crash tests are only as good as
/// its model of what a crash loses.
@Suite struct SimulatedFileSystemTests {
    static func makeFile(_ fileSystem: Storage.SimulatedFileSystem, _ name: String = "/d/f") throws -> any Storage.StorageFile {
        try fileSystem.createDirectory("/d")
        let file = try fileSystem.open(name, create: true)
        try fileSystem.syncDirectory("/d")
        return file
    }

    @Test func syncedBytesSurviveACrashAndUnsyncedOnesDoNot() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let file = try Self.makeFile(fileSystem)
        try file.write([1, 2, 3], at: 0)
        try file.sync()
        try file.write([4, 5], at: 3)
        #expect(fileSystem.contents(of: "/d/f") == [1, 2, 3, 4, 5])
        fileSystem.crashLosingEverythingUnsynced()
        #expect(fileSystem.contents(of: "/d/f") == [1, 2, 3])
        // Handles from before the crash are dead.
        #expect(throws: Storage.StorageError.self) { try file.write([9], at: 0) }
    }

    @Test func aCrashKeepsAPrefixOfUnsyncedWritesWithTheLastPossiblyTorn() throws {
        var seen = Set<[UInt8]>()
        for seed in UInt64(0)..<200 {
            let fileSystem = Storage.SimulatedFileSystem()
            let file = try Self.makeFile(fileSystem)
            try file.write([1, 1, 1], at: 0)
            try file.write([2, 2, 2], at: 3)
            var generator = SplitMix64(seed: seed)
            fileSystem.crash(using: &generator)
            let survived = fileSystem.contents(of: "/d/f")!
            let whole: [UInt8] = [1, 1, 1, 2, 2, 2]
            #expect(Array(whole.prefix(survived.count)) == survived, "kept \(survived), not a prefix")
            seen.insert(survived)
        }
        // Every prefix length occurs: nothing, torn first write, whole first
        // write, torn second write, everything.
        #expect(seen.count == 7)
    }

    @Test func aNewFileNeedsItsDirectorySyncedToSurvive() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        try fileSystem.createDirectory("/d")
        let file = try fileSystem.open("/d/new", create: true)
        try file.write([7], at: 0)
        try file.sync()
        fileSystem.crashLosingEverythingUnsynced()
        #expect(!fileSystem.exists("/d/new"))

        let again = try fileSystem.open("/d/new", create: true)
        try again.write([7], at: 0)
        try again.sync()
        try fileSystem.syncDirectory("/d")
        fileSystem.crashLosingEverythingUnsynced()
        #expect(fileSystem.contents(of: "/d/new") == [7])
    }

    @Test func renamesAndRemovalsNeedTheDirectorySynced() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let file = try Self.makeFile(fileSystem, "/d/a")
        try file.write([1], at: 0)
        try file.sync()
        try fileSystem.rename("/d/a", to: "/d/b")
        fileSystem.crashLosingEverythingUnsynced()
        #expect(fileSystem.exists("/d/a") && !fileSystem.exists("/d/b"))

        try fileSystem.rename("/d/a", to: "/d/b")
        try fileSystem.syncDirectory("/d")
        try fileSystem.remove("/d/b")
        fileSystem.crashLosingEverythingUnsynced()
        #expect(fileSystem.contents(of: "/d/b") == [1])
    }

    @Test func spaceLimitFailsWritesWithENOSPCAndChangesNothing() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let file = try Self.makeFile(fileSystem)
        fileSystem.spaceLimitBytes = 10
        try file.write(Array(repeating: 1, count: 8), at: 0)
        #expect(throws: Storage.StorageError.fileSystem(operation: "write", path: "/d/f", code: ENOSPC)) {
            try file.write(Array(repeating: 2, count: 4), at: 8)
        }
        #expect(throws: Storage.StorageError.fileSystem(operation: "write", path: "/d/f", code: ENOSPC)) {
            try file.preallocate(to: 11, zeroFill: false)
        }
        #expect(fileSystem.contents(of: "/d/f") == Array(repeating: 1, count: 8))
        // Overwriting in place needs no space.
        try file.write([3, 3], at: 0)
    }

    @Test func injectedCrashStopsEveryCallUntilTheCrashIsSimulated() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let file = try Self.makeFile(fileSystem)
        fileSystem.crashAfter(operations: 2)
        try file.write([1], at: 0)
        #expect(throws: Storage.StorageError.self) { try file.sync() }
        #expect(fileSystem.isStopped)
        #expect(throws: Storage.StorageError.self) { _ = try file.read(at: 0, count: 1) }
        fileSystem.crashLosingEverythingUnsynced()
        #expect(!fileSystem.isStopped)
        #expect(fileSystem.contents(of: "/d/f") == [])
    }
}
