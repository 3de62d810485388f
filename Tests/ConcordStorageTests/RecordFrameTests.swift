import PropertyBased
import Testing
@testable import ConcordStorage

@Suite struct RecordFrameTests {
    @Test func recordRoundTripsThroughItsFrame() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...100), Gen.uint64(), Gen.uint64()) { payload, index, term in
            let entry = Storage.LogRecord(index: index, term: term, payload: payload)
            var buffer: [UInt8] = []
            Storage.RecordFrame.encode(entry, into: &buffer)
            #expect(buffer.count == Storage.RecordFrame.frameBytes(payloadBytes: payload.count))
            #expect(buffer.count % 8 == 0)
            let decoded = buffer.withUnsafeBytes { Storage.RecordFrame.decode($0, at: 0, payloadBytesMax: 1000) }
            #expect(decoded == .record(entry, frameBytes: buffer.count))
        }
    }

    @Test func zerosAreNoRecord() {
        let zeros = [UInt8](repeating: 0, count: 64)
        #expect(zeros.withUnsafeBytes { Storage.RecordFrame.decode($0, at: 0, payloadBytesMax: 100) } == .empty)
        #expect(zeros.withUnsafeBytes { Storage.RecordFrame.decode($0, at: 40, payloadBytesMax: 100) } == .empty)
    }

    @Test func recordCutShortIsInvalid() {
        var buffer: [UInt8] = []
        Storage.RecordFrame.encode(Storage.LogRecord(index: 1, term: 1, payload: [1, 2, 3, 4, 5]), into: &buffer)
        for length in 1..<buffer.count {
            let prefix = Array(buffer[..<length])
            let decoded = prefix.withUnsafeBytes { Storage.RecordFrame.decode($0, at: 0, payloadBytesMax: 100) }
            guard case .invalid = decoded else {
                Issue.record("a record cut to \(length) bytes decoded as \(decoded)")
                return
            }
        }
    }

    @Test func segmentHeaderRoundTripsAndRejectsEveryBitFlip() {
        let header = Storage.SegmentHeader.encode(firstIndex: 42)
        #expect(header.withUnsafeBytes { try? Storage.SegmentHeader.decode($0).get() } == 42)
        for bit in 0..<(header.count * 8) {
            var damaged = header
            damaged[bit / 8] ^= 1 << (bit % 8)
            #expect(damaged.withUnsafeBytes { try? Storage.SegmentHeader.decode($0).get() } == nil)
        }
    }

    @Test func dataFileNamesClassifyAndRejectForeignNames() {
        typealias Name = Storage.DataFileName
        #expect(Name.classify(Name.segmentName(firstIndex: 0x1F)) == .segment(firstIndex: 0x1F))
        #expect(Name.classify(Name.snapshotName(index: 7, term: 3)) == .snapshot(index: 7, term: 3))
        #expect(Name.classify("hardstate") == .hardState)
        #expect(Name.classify("hardstate.tmp") == .temporary("hardstate.tmp"))
        #expect(Name.classify("segment-000000000000001f.wal.tmp") == .temporary("segment-000000000000001f.wal.tmp"))
        #expect(Name.classify(".nfs0001") == .hidden)
        for foreign in ["notes.txt", "segment-1.wal", "segment-000000000000001F.wal", "snapshot-0000000000000001.snap",
                        "LOCK.tmp", "x.tmp.tmp", "hardstate.tmp.tmp", "segment-000000000000001f.wal.bak"] {
            #expect(Name.classify(foreign) == nil, "\(foreign) must not be taken for a Concord file")
        }
    }
}
