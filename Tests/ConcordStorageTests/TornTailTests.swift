import Testing
@testable import ConcordStorage

/// "The tail" is the bytes from the first damaged record of the LAST
/// segment to the end of that file, provided no valid record frame starts
/// anywhere after the damage. Such a tail is trimmed; damage anywhere else
/// (an earlier segment, or a damaged record followed by a valid one) stops
/// recovery with an error naming the file and the offset of the damaged
/// record.
@Suite struct TornTailTests {
    /// Twelve records of 32 to 136 bytes, all in one 4 KiB segment.
    static let entries = makeEntries(from: 1, count: 12, term: 3, seed: 7)
    static let singleSegment = Storage.LogConfiguration(segmentBytes: 4096, recordPayloadBytesMax: 200, batchBytesMax: 4096)

    static func segmentBytes() throws -> [UInt8] {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try openSimulated(fileSystem, configuration: singleSegment)
        try store.log.appendAndWait(entries)
        store.close()
        return fileSystem.contents(of: segmentPath(1))!
    }

    /// Opens a store over a file system holding only `bytes` as segment 1.
    static func recover(_ bytes: [UInt8], configuration: Storage.LogConfiguration = singleSegment) throws -> (Storage.NodeStore, Storage.SimulatedFileSystem) {
        let fileSystem = Storage.SimulatedFileSystem()
        try fileSystem.createDirectory(dataDirectory)
        fileSystem.overwrite(segmentPath(1), with: bytes)
        return (try openSimulated(fileSystem, configuration: configuration), fileSystem)
    }

    @Test func truncatingTheLogAtEveryByteOffsetRecoversExactlyTheWholeRecordsBeforeIt() throws {
        let bytes = try Self.segmentBytes()
        let offsets = recordOffsets(Self.entries)
        let recordsEnd = offsets.last!
        for length in 0...(recordsEnd + 16) {
            let (store, _) = try Self.recover(Array(bytes[..<length]))
            let whole = offsets.dropFirst().filter { $0 <= length }.count
            let recovered = try allEntries(store)
            #expect(recovered == Array(Self.entries.prefix(whole)), "cut at \(length)")
            let cutInsideRecord = length > Storage.SegmentHeader.bytes && !offsets.contains(length) && length < recordsEnd
            #expect((store.recovery.tornTail != nil) == (cutInsideRecord || (length < Storage.SegmentHeader.bytes)), "cut at \(length)")
            // The recovered log continues where it ends, and survives a reopen.
            let next = makeEntries(from: UInt64(whole) + 1, count: 2, term: 4, seed: 9)
            try store.log.appendAndWait(next)
            store.close()
        }
    }

    @Test func appendsAfterATrimmedTailSurviveReopening() throws {
        let bytes = try Self.segmentBytes()
        let offsets = recordOffsets(Self.entries)
        let (store, fileSystem) = try Self.recover(Array(bytes[..<(offsets[5] + 7)]))
        #expect(store.recovery.tornTail?.offset == UInt64(offsets[5]))
        let next = makeEntries(from: 6, count: 3, term: 4, seed: 9)
        try store.log.appendAndWait(next)
        store.close()
        let reopened = try openSimulated(fileSystem, configuration: Self.singleSegment)
        defer { reopened.close() }
        #expect(reopened.recovery.tornTail == nil)
        #expect(try allEntries(reopened) == Array(Self.entries.prefix(5)) + next)
    }

    @Test func flippingAnyBitOfAnyRecordIsDetected() throws {
        let bytes = try Self.segmentBytes()
        let offsets = recordOffsets(Self.entries)
        let lastRecord = offsets[offsets.count - 2]
        for bit in (Storage.SegmentHeader.bytes * 8)..<(offsets.last! * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << (bit % 8)
            let record = offsets.lastIndex { $0 <= bit / 8 }!
            let recordOffset = offsets[record]
            do {
                let (store, _) = try Self.recover(damaged)
                defer { store.close() }
                // Only the last record may be taken for a torn tail.
                #expect(recordOffset == lastRecord, "bit \(bit) in record \(record + 1) was trimmed, not reported")
                #expect(store.recovery.tornTail?.offset == UInt64(lastRecord), "bit \(bit)")
                #expect(try allEntries(store) == Array(Self.entries.dropLast()), "bit \(bit)")
            } catch let error as Storage.StorageError {
                #expect(recordOffset != lastRecord, "bit \(bit) of the last record should be a torn tail, got \(error)")
                #expect(error == .corruptRecord(file: segmentPath(1), offset: UInt64(recordOffset), reason: Self.reason(of: error)), "bit \(bit)")
            }
        }
    }

    static func reason(of error: Storage.StorageError) -> String {
        if case let .corruptRecord(_, _, reason) = error { return reason }
        return ""
    }

    @Test func flippingAnyBitOfTheSegmentHeaderStopsRecovery() throws {
        let bytes = try Self.segmentBytes()
        for bit in 0..<(Storage.SegmentHeader.bytes * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: Storage.StorageError.self) { _ = try Self.recover(damaged) }
        }
    }

    @Test func damagedRecordFollowedByZerosAndThenAValidRecordIsCorruptionNotATornTail() throws {
        var bytes = try Self.segmentBytes()
        let offsets = recordOffsets(Self.entries)
        // Zero record 11 entirely: record 12 still follows it.
        for position in offsets[10]..<offsets[11] { bytes[position] = 0 }
        #expect(throws: Storage.StorageError.corruptRecord(
            file: segmentPath(1), offset: UInt64(offsets[10]),
            reason: "unexpected non-zero bytes at offset \(offsets[11]) after the last record; a valid record follows at offset \(offsets[11]), so this is not a torn tail")
        ) { _ = try Self.recover(bytes) }
    }

    @Test func garbageAfterTheLastRecordIsATornTailWhenNothingValidFollows() throws {
        var bytes = try Self.segmentBytes()
        let end = recordOffsets(Self.entries).last!
        for position in (end + 100)..<(end + 140) { bytes[position] = 0xAB }
        let (store, fileSystem) = try Self.recover(bytes)
        store.close()
        #expect(store.recovery.tornTail?.offset == UInt64(end))
        #expect(store.recovery.tornTail?.discardedBytes == 140)
        // The garbage is gone from the file, not only skipped.
        #expect(fileSystem.contents(of: segmentPath(1))![(end + 100)..<(end + 140)].allSatisfy { $0 == 0 })
    }

    @Test func damageInAnEarlierSegmentIsNeverATornTail() throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let entries = makeEntries(from: 1, count: 40, term: 1)
        try writeLog(entries, to: fileSystem)
        let names = try fileSystem.contentsOfDirectory(dataDirectory).filter { $0.hasPrefix("segment-") }.sorted()
        #expect(names.count >= 3)
        // Cut the first segment inside its last record: its remaining
        // records are fine but the next segment no longer follows on.
        let first = dataDirectory + "/" + names[0]
        var bytes = fileSystem.contents(of: first)!
        let scan = try bytes.withUnsafeBytes { try Storage.SegmentScan.scan($0, firstIndex: 1, path: first) }
        let held = scan.records.count
        let lastOffset = recordOffsets(Array(entries.prefix(held)))[held - 1]
        bytes[lastOffset + 40] ^= 0x01
        fileSystem.overwrite(first, with: bytes)
        do {
            _ = try openSimulated(fileSystem)
            Issue.record("damage in the first segment was not reported")
        } catch let Storage.StorageError.corruptRecord(file, offset, reason) {
            #expect(file == first)
            #expect(offset == UInt64(lastOffset))
            #expect(reason.hasPrefix("checksum mismatch") && reason.hasSuffix("(not in the last segment)"))
        }
    }

    @Test func truncatingTheLastSegmentOfAMultiSegmentLogAtEveryOffsetKeepsEarlierSegments() throws {
        let source = Storage.SimulatedFileSystem()
        let entries = makeEntries(from: 1, count: 30, term: 2)
        try writeLog(entries, to: source)
        let names = try source.contentsOfDirectory(dataDirectory).filter { $0.hasPrefix("segment-") }.sorted()
        let lastName = names.last!
        guard case let .segment(lastFirst) = Storage.DataFileName.classify(lastName) else { Issue.record("bad name"); return }
        let lastBytes = source.contents(of: dataDirectory + "/" + lastName)!
        let lastOffsets = recordOffsets(Array(entries[Int(lastFirst - 1)...]))
        for length in stride(from: 0, through: lastOffsets.last! + 8, by: 1) {
            let fileSystem = Storage.SimulatedFileSystem()
            try fileSystem.createDirectory(dataDirectory)
            for name in names.dropLast() {
                fileSystem.overwrite(dataDirectory + "/" + name, with: source.contents(of: dataDirectory + "/" + name)!)
            }
            fileSystem.overwrite(dataDirectory + "/" + lastName, with: Array(lastBytes[..<length]))
            let store = try openSimulated(fileSystem)
            let whole = lastOffsets.dropFirst().filter { $0 <= length }.count
            #expect(try allEntries(store) == Array(entries.prefix(Int(lastFirst) - 1 + whole)), "cut at \(length)")
            store.close()
        }
    }
}
