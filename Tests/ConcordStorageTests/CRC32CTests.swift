import PropertyBased
import Testing
@testable import ConcordStorage

@Suite struct CRC32CTests {
    @Test func checkValueOf123456789IsE3069283() {
        #expect(Storage.CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func emptyInputHasChecksumZero() {
        #expect(Storage.CRC32C.checksum([]) == 0)
    }

    @Test func knownVectorsFromRFC3720() {
        // RFC 3720 B.4: 32 bytes of zeros, of 0xFF, and ascending 0...31.
        #expect(Storage.CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(Storage.CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(Storage.CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    /// Bit-at-a-time CRC-32C, the definition the tables must agree with.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func slicingByEightAgreesWithBitwiseDefinition() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...300)) { bytes in
            #expect(Storage.CRC32C.checksum(bytes) == Self.reference(bytes))
        }
    }

    @Test func continuingOverPiecesEqualsWhole() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...200), Gen.int(in: 0...200)) { bytes, cut in
            let split = min(cut, bytes.count)
            let first = Storage.CRC32C.checksum(Array(bytes[..<split]))
            #expect(Storage.CRC32C.checksum(Array(bytes[split...]), continuing: first) == Storage.CRC32C.checksum(bytes))
        }
    }
}
