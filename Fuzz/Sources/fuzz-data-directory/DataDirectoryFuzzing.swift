import ConcordStorage
import FuzzSupport

/// A node's data directory as recovery reads it after a crash: the first
/// input byte picks the file the rest of the input becomes (a WAL segment,
/// the hard state, or a snapshot), beside files of a valid directory.
/// Recovery either opens the directory (trimming a torn tail) or refuses it
/// with a `StorageError` naming the file and offset; it never traps.
enum DataDirectoryFuzzing: FuzzTarget {
    static let directory = "/data"
    /// Small segments, not preallocated: each run stays cheap.
    static let configuration = Storage.LogConfiguration(
        segmentBytes: 4096, recordPayloadBytesMax: 1024, batchBytesMax: 2048, preallocation: .zeroFill)

    /// The files a valid directory holds, by the selector byte that replaces them.
    static let fileNames = ["segment-0000000000000001.wal", "hardstate", "snapshot-0000000000000002-0000000000000001.snap"]

    static func check(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let selector = Int(input.byte()) % fileNames.count
        let fileSystem = validDirectory()
        fileSystem.overwrite(directory + "/" + fileNames[selector], with: input.rest())
        guard let store = try? Storage.NodeStore.open(directory: directory, fileSystem: fileSystem, configuration: configuration) else {
            return
        }
        let recovery = store.recovery
        if recovery.lastIndex >= recovery.firstIndex {
            _ = try? store.log.entries(in: recovery.firstIndex..<(recovery.lastIndex + 1))
        }
        store.close()
    }

    /// A directory with a snapshot at index 2, a hard state, and a segment
    /// holding entries 1 to 5 (the first two also in the snapshot).
    static func validDirectory() -> Storage.SimulatedFileSystem {
        let fileSystem = Storage.SimulatedFileSystem()
        for (name, contents) in validFiles { fileSystem.overwrite(directory + "/" + name, with: contents) }
        return fileSystem
    }

    static let validFiles: [(String, [UInt8])] = {
        let fileSystem = Storage.SimulatedFileSystem()
        do {
            let store = try Storage.NodeStore.open(directory: directory, fileSystem: fileSystem, configuration: configuration)
            try store.log.appendAndWait((1...5).map { Storage.LogEntry(index: $0, term: 1, payload: Array("entry \($0)".utf8)) })
            try store.saveHardState(Storage.HardState(term: 1, vote: 2, commit: 4))
            try store.saveSnapshot(Storage.Snapshot(index: 2, term: 1, data: Array("state at 2".utf8)))
            store.close()
        } catch {
            preconditionFailure("cannot build the valid directory: \(error)")
        }
        return fileNames.compactMap { name in fileSystem.contents(of: directory + "/" + name).map { (name, $0) } }
    }()

    static func seeds() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for (selector, name) in fileNames.enumerated() {
            guard let contents = validFiles.first(where: { $0.0 == name })?.1 else { continue }
            seeds.append([UInt8(selector)] + contents)
        }
        // A segment with a torn last record.
        if let segment = validFiles.first?.1, let end = segment.lastIndex(where: { $0 != 0 }) {
            seeds.append([0] + segment[..<(end - 3)])
        }
        return seeds
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    DataDirectoryFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    DataDirectoryFuzzing.initialize()
}
