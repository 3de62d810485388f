import ConcordFoundation
import Foundation
@testable import ConcordStorage

/// A small, seedable generator so every random choice in a test replays.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Small segments so that a few records span several files.
let smallConfiguration = Storage.LogConfiguration(segmentBytes: 1024, recordPayloadBytesMax: 200, batchBytesMax: 4096)

let dataDirectory = "/data"

/// Entries with deterministic payloads of varied length (0 to 99 bytes).
func makeEntries(from index: UInt64, count: Int, term: UInt64, seed: UInt64 = 1) -> [Storage.LogRecord] {
    var generator = SplitMix64(seed: seed &+ index)
    return (0..<count).map { offset in
        let length = Int.random(in: 0..<100, using: &generator)
        let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Storage.LogRecord(index: index + UInt64(offset), term: term, payload: payload)
    }
}

/// Opens a store on a simulated file system.
func openSimulated(
    _ fileSystem: Storage.SimulatedFileSystem, configuration: Storage.LogConfiguration = smallConfiguration
) throws -> Storage.NodeStore {
    try Storage.NodeStore.open(directory: dataDirectory, fileSystem: fileSystem, configuration: configuration)
}

/// Every entry the store's log holds after its snapshot.
func allEntries(_ store: Storage.NodeStore) throws -> [Storage.LogRecord] {
    let first = max(store.log.firstIndex, (store.recovery.snapshot?.index ?? 0) + 1)
    let last = store.log.lastIndex
    guard last >= first else { return [] }
    return try store.log.entries(in: first..<(last + 1))
}

func segmentPath(_ firstIndex: UInt64) -> String {
    dataDirectory + "/" + Storage.DataFileName.segmentName(firstIndex: firstIndex)
}

/// A fresh directory under the system's temporary directory, removed when
/// `body` returns.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("concord-storage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("concord-storage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Writes `entries` through a fresh store in `fileSystem` and closes it,
/// returning the byte offset of each record in the segment that holds it.
func writeLog(_ entries: [Storage.LogRecord], to fileSystem: Storage.SimulatedFileSystem) throws {
    let store = try openSimulated(fileSystem)
    defer { store.close() }
    try store.log.appendAndWait(entries)
}

/// Record offsets of a segment computed from the frame sizes.
func recordOffsets(_ entries: [Storage.LogRecord]) -> [Int] {
    var offsets: [Int] = []
    var offset = Storage.SegmentHeader.bytes
    for entry in entries {
        offsets.append(offset)
        offset += Storage.RecordFrame.frameBytes(payloadBytes: entry.payload.count)
    }
    offsets.append(offset)
    return offsets
}
