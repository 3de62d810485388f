import ConcordFoundation

extension ZooKeeper {
    /// Reads what ``ZooKeeper/JuteWriter`` writes, on ConcordFoundation's
    /// ``BinaryReader``: every read checks bounds and throws
    /// ``BinaryDecodingError``; a length below -1 or beyond the bytes left is
    /// refused before anything is allocated.
    public struct JuteReader: Sendable {
        /// The underlying reader.
        public private(set) var binary: BinaryReader

        /// A reader at the start of `bytes`.
        public init(_ bytes: [UInt8]) { binary = BinaryReader(bytes) }

        /// A reader at the start of `bytes`.
        public init(_ bytes: ArraySlice<UInt8>) { binary = BinaryReader(bytes) }

        /// The number of unread bytes.
        public var remainingCount: Int { binary.remainingCount }

        /// The offset of the next unread byte.
        public var offset: Int { binary.offset }

        /// Reads a jute `int`.
        public mutating func readInt() throws(BinaryDecodingError) -> Int32 {
            Int32(bitPattern: try binary.readFixed(UInt32.self).byteSwapped)
        }

        /// Reads a jute `long`.
        public mutating func readLong() throws(BinaryDecodingError) -> Int64 {
            Int64(bitPattern: try binary.readFixed(UInt64.self).byteSwapped)
        }

        /// Reads a jute `boolean`. Like Java's `DataInput.readBoolean`, any
        /// byte other than 0 is true.
        public mutating func readBool() throws(BinaryDecodingError) -> Bool {
            try binary.readByte() != 0
        }

        /// Reads a jute `buffer`; nil for length -1.
        public mutating func readBuffer() throws(BinaryDecodingError) -> [UInt8]? {
            guard let count = try readLength(minimumBytesEach: 1) else { return nil }
            return Array(try binary.readRaw(count: count))
        }

        /// Reads a jute `ustring`; nil for length -1.
        public mutating func readString() throws(BinaryDecodingError) -> String? {
            let start = offset
            guard let count = try readLength(minimumBytesEach: 1) else { return nil }
            let raw = try binary.readRaw(count: count)
            guard let string = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
            return string
        }

        /// Reads a jute `vector` whose elements each take at least
        /// `minimumBytesEach` bytes; nil for count -1.
        public mutating func readVector<Element>(
            minimumBytesEach: Int, _ readElement: (inout JuteReader) throws(BinaryDecodingError) -> Element
        ) throws(BinaryDecodingError) -> [Element]? {
            guard let count = try readLength(minimumBytesEach: minimumBytesEach) else { return nil }
            var elements: [Element] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try readElement(&self)) }
            return elements
        }

        /// Reads a vector of strings (a null vector reads as empty).
        public mutating func readStrings() throws(BinaryDecodingError) -> [String] {
            try readVector(minimumBytesEach: 4) { (reader: inout JuteReader) throws(BinaryDecodingError) in try reader.readString() ?? "" } ?? []
        }

        /// Throws unless every byte has been read.
        public func finish() throws(BinaryDecodingError) {
            try binary.finish()
        }

        /// A length or count: -1 is null, anything below is refused, and so is
        /// anything the bytes left cannot hold.
        private mutating func readLength(minimumBytesEach: Int) throws(BinaryDecodingError) -> Int? {
            let start = offset
            let length = try readInt()
            if length == -1 { return nil }
            guard length >= 0 else { throw .invalidValue("negative length \(length)", offset: start) }
            guard Int(length) <= remainingCount / max(minimumBytesEach, 1) else {
                throw .lengthTooLarge(length: UInt64(length), offset: start)
            }
            return Int(length)
        }
    }
}
