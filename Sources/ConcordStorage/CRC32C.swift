extension Storage {
    /// CRC-32C (Castagnoli), the checksum of every record, segment header,
    /// snapshot and hard-state file.
    ///
    /// Computed with the slicing-by-8 method: eight 256-entry tables let the
    /// loop consume eight bytes per step. The check value of the ASCII string
    /// "123456789" is `0xE306_9283`.
    public enum CRC32C {
        /// The reflected Castagnoli polynomial.
        static let polynomial: UInt32 = 0x82F6_3B78

        /// Eight tables of 256 entries: `tables[k * 256 + b]` is the CRC of
        /// byte `b` followed by `k` zero bytes.
        static let tables: [UInt32] = {
            var tables = [UInt32](repeating: 0, count: 8 * 256)
            for byte in 0..<256 {
                var crc = UInt32(byte)
                for _ in 0..<8 {
                    crc = (crc & 1) == 1 ? (crc >> 1) ^ polynomial : crc >> 1
                }
                tables[byte] = crc
            }
            for slice in 1..<8 {
                for byte in 0..<256 {
                    let previous = tables[(slice - 1) * 256 + byte]
                    tables[slice * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
                }
            }
            return tables
        }()

        /// The CRC-32C of `bytes`, continuing from `crc` (the value returned
        /// for the bytes before them; 0 to start).
        public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
            var state = ~crc
            var position = 0
            let count = bytes.count
            tables.withUnsafeBufferPointer { table in
                while count - position >= 8 {
                    let low = UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8
                        | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
                    let word = low ^ state
                    state = table[7 * 256 + Int(word & 0xFF)]
                        ^ table[6 * 256 + Int((word >> 8) & 0xFF)]
                        ^ table[5 * 256 + Int((word >> 16) & 0xFF)]
                        ^ table[4 * 256 + Int(word >> 24)]
                        ^ table[3 * 256 + Int(bytes[position + 4])]
                        ^ table[2 * 256 + Int(bytes[position + 5])]
                        ^ table[1 * 256 + Int(bytes[position + 6])]
                        ^ table[Int(bytes[position + 7])]
                    position += 8
                }
                while position < count {
                    state = (state >> 8) ^ table[Int((state ^ UInt32(bytes[position])) & 0xFF)]
                    position += 1
                }
            }
            return ~state
        }

        /// The CRC-32C of `bytes`, continuing from `crc`.
        public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
            bytes.withUnsafeBytes { checksum($0, continuing: crc) }
        }

        /// The CRC-32C of `bytes[range]`, continuing from `crc`.
        public static func checksum(_ bytes: [UInt8], range: Range<Int>, continuing crc: UInt32 = 0) -> UInt32 {
            bytes.withUnsafeBytes { checksum(UnsafeRawBufferPointer(rebasing: $0[range]), continuing: crc) }
        }
    }
}
