import ConcordFoundation
import ConcordRaft
import Testing

@testable import ConcordStorage

/// The simulated file system's deferred durability, as the server
/// simulation uses it: writes and syncs wait for `makeEverythingDurable`,
/// and a crash keeps a prefix of them in the order they were made.
@Suite struct DeferredDurabilityTests {
    @Test func aCrashKeepsAPrefixOfTheChangesInTheOrderMade() throws {
        for seed in 0..<200 as Range<UInt64> {
            let files = Storage.SimulatedFileSystem()
            try files.createDirectory("/d")
            files.defersDurability = true
            // The atomic replacement of a file: write a temporary, sync, rename.
            let temporary = try files.open("/d/tmp", create: true)
            try temporary.write(Array("new".utf8), at: 0)
            try temporary.sync()
            try files.rename("/d/tmp", to: "/d/file")
            try files.syncDirectory("/d")
            let other = try files.open("/d/log", create: true)
            try other.write(Array("abc".utf8), at: 0)
            var random = SeededRandom(seed: seed)
            files.crashKeepingPrefix(using: &random)
            if let contents = files.contents(of: "/d/file") {
                // The rename came after the write: whenever it survived, the write did.
                #expect(contents == Array("new".utf8), "seed \(seed)")
            }
            if let log = files.contents(of: "/d/log") {
                // The last write may be torn, never reordered.
                #expect(Array("abc".utf8).starts(with: log), "seed \(seed)")
                #expect(files.contents(of: "/d/file") != nil, "seed \(seed): a later change survived an earlier one")
            }
        }
    }

    @Test func nothingIsLostOnceMadeDurable() throws {
        let files = Storage.SimulatedFileSystem()
        try files.createDirectory("/d")
        files.defersDurability = true
        let file = try files.open("/d/f", create: true)
        try file.write(Array("kept".utf8), at: 0)
        files.makeEverythingDurable()
        try files.open("/d/g", create: true).write(Array("maybe".utf8), at: 0)
        for seed in 0..<50 as Range<UInt64> {
            var random = SeededRandom(seed: seed)
            files.crashKeepingPrefix(using: &random)
            #expect(files.contents(of: "/d/f") == Array("kept".utf8))
        }
    }

    @Test func aRaftLogRecoversToAPrefixOfItsWritesAndKeepsWhatWasMadeDurable() throws {
        for seed in 0..<60 as Range<UInt64> {
            let files = Storage.SimulatedFileSystem()
            let store = try RaftReplicaRestartTests.open(files)
            files.makeEverythingDurable()
            files.defersDurability = true
            var driver = try RaftReplicaRestartTests.Driver(store: store, seed: seed)
            try driver.becomeLeader()
            var random = SeededRandom(seed: seed ^ 0xD15C)
            var durableEntries = 0
            for batch in 0..<20 {
                try driver.propose((0..<(1 + random.index(below: 3))).map { "c\(batch)-\($0)" })
                if random.chance(perMillion: 300_000) {
                    files.makeEverythingDurable()
                    durableEntries = driver.applied.filter { $0.kind == .normal && !$0.data.isEmpty }.count
                }
            }
            let written = driver.applied
            files.crashKeepingPrefix(using: &random)
            let recovered = try RaftReplicaRestartTests.open(files).load()
            let entries = recovered.entries.filter { $0.kind == .normal && !$0.data.isEmpty }
            let expected = written.filter { $0.kind == .normal && !$0.data.isEmpty }
            #expect(Array(expected.prefix(entries.count)) == entries, "seed \(seed): not a prefix of the writes")
            #expect(entries.count >= durableEntries, "seed \(seed): lost entries made durable")
        }
    }
}
