import ConcordFoundation
import PropertyBased
import Testing

@testable import ConcordClocks

@Suite struct BinaryEncodingTests {
    @Test func varintsRoundTripAndStayShort() async throws {
        await propertyCheck(count: 500, input: Gen.uint64(), Gen.int64()) { unsigned, signed in
            var writer = BinaryWriter()
            writer.writeVarint(unsigned)
            writer.writeSignedVarint(signed)
            var reader = BinaryReader(writer.bytes)
            #expect(try reader.readVarint() == unsigned)
            #expect(try reader.readSignedVarint() == signed)
            try reader.finish()
        }
        #expect(UInt64(127).binaryEncoded() == [0x7F])
        #expect(UInt64(128).binaryEncoded() == [0x80, 0x01])
        #expect(Int64(-1).binaryEncoded() == [0x01])
        #expect(UInt64.max.binaryEncoded().count == 10)
    }

    @Test func clockValuesRoundTrip() async throws {
        let counts = Gen.uint64(in: 0...1_000_000).array(of: 0...20)
        await propertyCheck(count: 200, input: counts, Gen.int64(), Gen.uint32()) { counts, wall, logical in
            let vector = VersionVector(
                Dictionary(uniqueKeysWithValues: counts.enumerated().map { (ReplicaID(UInt64($0.offset * 3)), $0.element) }))
            let decodedVector = try VersionVector(binaryEncoded: vector.binaryEncoded())
            #expect(decodedVector == vector)
            let stamp = HybridTimestamp(wallNanoseconds: wall, logical: logical)
            let decodedStamp = try HybridTimestamp(binaryEncoded: stamp.binaryEncoded())
            #expect(decodedStamp == stamp)
        }
    }

    @Test func truncatedInputThrowsATypedError() {
        let vector = VersionVector([1: 300, 9: 70_000])
        let bytes = vector.binaryEncoded()
        for length in 0..<bytes.count {
            #expect(throws: BinaryDecodingError.self) {
                try VersionVector(binaryEncoded: Array(bytes.prefix(length)))
            }
        }
        #expect(throws: BinaryDecodingError.trailingBytes(count: 1)) {
            try VersionVector(binaryEncoded: bytes + [0])
        }
    }

    @Test func garbageIsRejectedWithoutTrapping() async {
        // Eleven continuation bytes: a varint longer than 64 bits.
        #expect(throws: BinaryDecodingError.varintTooLong(offset: 0)) {
            try UInt64(binaryEncoded: Array(repeating: 0xFF, count: 11))
        }
        // A count far beyond the input.
        #expect(throws: BinaryDecodingError.lengthTooLarge(length: 1_000_000, offset: 0)) {
            try VersionVector(binaryEncoded: UInt64(1_000_000).binaryEncoded())
        }
        // A zero dot counter.
        #expect(throws: BinaryDecodingError.invalidValue("dot counter 0", offset: 1)) {
            try Dot(binaryEncoded: [5, 0])
        }
        // An overlong varint (1 written as 0x81 0x00) once decoded and re-encoded differently.
        #expect(throws: BinaryDecodingError.invalidValue("overlong varint", offset: 0)) {
            try UInt64(binaryEncoded: [0x81, 0x00])
        }
        #expect((try? VersionVector(binaryEncoded: [10, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 129, 0, 1])) == nil)
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...40)) { bytes in
            // Anything either decodes to a value that re-encodes canonically, or throws.
            if let vector = try? VersionVector(binaryEncoded: bytes) {
                #expect(vector.binaryEncoded() == bytes)
            }
            _ = try? HybridTimestamp(binaryEncoded: bytes)
            _ = try? String(binaryEncoded: bytes)
        }
    }
}
