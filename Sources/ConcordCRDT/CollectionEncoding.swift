import ConcordFoundation
import ConcordClocks

/// Encodes a set as a count followed by its elements.
func encodeSet<Element: BinaryEncodable>(_ set: Set<Element>, to writer: inout BinaryWriter) {
    writer.writeVarint(UInt64(set.count))
    for element in set {
        element.encode(to: &writer)
    }
}

/// Decodes what ``encodeSet(_:to:)`` wrote, rejecting repeated elements.
func decodeSet<Element: BinaryDecodable & Hashable>(from reader: inout BinaryReader) throws(BinaryDecodingError) -> Set<Element> {
    let count = try reader.readCount()
    var set = Set<Element>(minimumCapacity: count)
    for _ in 0..<count {
        let start = reader.offset
        guard set.insert(try Element(from: &reader)).inserted else {
            throw .invalidValue("repeated set element", offset: start)
        }
    }
    return set
}

/// Encodes a dictionary as a count followed by key-value pairs.
func encodeDictionary<Key: BinaryEncodable, Value>(
    _ dictionary: [Key: Value], to writer: inout BinaryWriter, value encodeValue: (Value, inout BinaryWriter) -> Void
) {
    writer.writeVarint(UInt64(dictionary.count))
    for (key, value) in dictionary {
        key.encode(to: &writer)
        encodeValue(value, &writer)
    }
}

/// Decodes what ``encodeDictionary(_:to:value:)`` wrote, rejecting repeated keys.
func decodeDictionary<Key: BinaryDecodable & Hashable, Value>(
    from reader: inout BinaryReader, minimumBytesEach: Int = 2,
    value decodeValue: (inout BinaryReader) throws(BinaryDecodingError) -> Value
) throws(BinaryDecodingError) -> [Key: Value] {
    let count = try reader.readCount(minimumBytesEach: minimumBytesEach)
    var dictionary = [Key: Value](minimumCapacity: count)
    for _ in 0..<count {
        let start = reader.offset
        let key = try Key(from: &reader)
        guard dictionary[key] == nil else { throw .invalidValue("repeated key", offset: start) }
        dictionary[key] = try decodeValue(&reader)
    }
    return dictionary
}
