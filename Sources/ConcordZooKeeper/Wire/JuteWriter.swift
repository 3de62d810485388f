import ConcordFoundation

extension ZooKeeper {
    /// Writes jute's binary primitives (`BinaryOutputArchive`): big-endian
    /// 32- and 64-bit integers, one-byte booleans, and buffers, strings and
    /// vectors after a 32-bit length (-1 for null).
    ///
    /// It sits on ConcordFoundation's ``BinaryWriter``: a big-endian word is
    /// written as the byte-swapped value's little-endian bytes.
    public struct JuteWriter: Sendable {
        /// The underlying writer.
        public private(set) var binary: BinaryWriter

        /// An empty writer.
        public init() { binary = BinaryWriter() }

        /// The bytes written so far.
        public var bytes: [UInt8] { binary.bytes }

        /// Appends a jute `int`.
        public mutating func writeInt(_ value: Int32) {
            binary.writeFixed(UInt32(bitPattern: value).byteSwapped)
        }

        /// Appends a jute `long`.
        public mutating func writeLong(_ value: Int64) {
            binary.writeFixed(UInt64(bitPattern: value).byteSwapped)
        }

        /// Appends a jute `boolean`: one byte, 0 or 1.
        public mutating func writeBool(_ value: Bool) {
            binary.writeBool(value)
        }

        /// Appends a jute `buffer` (nil: length -1).
        public mutating func writeBuffer(_ value: [UInt8]?) {
            guard let value else { return writeInt(-1) }
            writeInt(Int32(value.count))
            binary.writeRaw(value)
        }

        /// Appends a jute `ustring` in UTF-8 (nil: length -1).
        public mutating func writeString(_ value: String?) {
            guard let value else { return writeInt(-1) }
            writeInt(Int32(value.utf8.count))
            binary.writeRaw(value.utf8)
        }

        /// Appends a jute `vector`: the count, then each element.
        public mutating func writeVector<Element>(_ elements: [Element]?, _ writeElement: (inout JuteWriter, Element) -> Void) {
            guard let elements else { return writeInt(-1) }
            writeInt(Int32(elements.count))
            for element in elements { writeElement(&self, element) }
        }

        /// Appends a vector of strings.
        public mutating func writeStrings(_ values: [String]?) {
            writeVector(values) { $0.writeString($1) }
        }

        /// Appends bytes as they are.
        public mutating func writeRaw(_ value: some Collection<UInt8>) {
            binary.writeRaw(value)
        }
    }
}
