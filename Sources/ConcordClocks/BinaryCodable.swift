import ConcordFoundation

// The clock types' binary forms, in ConcordFoundation's encoding.

extension ReplicaID: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { writer.writeVarint(rawValue) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) { self.init(try reader.readVarint()) }
}

extension Dot: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(replica.rawValue)
        writer.writeVarint(counter)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let replica = ReplicaID(try reader.readVarint())
        let start = reader.offset
        let counter = try reader.readVarint()
        guard counter > 0 else { throw .invalidValue("dot counter 0", offset: start) }
        self.init(replica: replica, counter: counter)
    }
}

extension HybridTimestamp: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeSignedVarint(wallNanoseconds)
        writer.writeVarint(UInt64(logical))
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let wall = try reader.readSignedVarint()
        let logical = try UInt32(from: &reader)
        self.init(wallNanoseconds: wall, logical: logical)
    }
}

/// Encodes replica-to-counter entries sorted by replica, each replica as the
/// gap from the previous one, so that dense identities take one byte.
func encodeCounters(_ entries: [ReplicaID: UInt64], to writer: inout BinaryWriter) {
    writer.writeVarint(UInt64(entries.count))
    var previous: UInt64 = 0
    for (replica, counter) in entries.sorted(by: { $0.key < $1.key }) {
        writer.writeVarint(replica.rawValue - previous)
        writer.writeVarint(counter)
        previous = replica.rawValue
    }
}

/// Decodes what ``encodeCounters(_:to:)`` wrote; rejects zero counters and
/// unsorted or repeated replicas, so every encoding is canonical.
func decodeCounters(from reader: inout BinaryReader) throws(BinaryDecodingError) -> [ReplicaID: UInt64] {
    let count = try reader.readCount(minimumBytesEach: 2)
    var entries: [ReplicaID: UInt64] = [:]
    entries.reserveCapacity(count)
    var previous: UInt64 = 0
    for index in 0..<count {
        let start = reader.offset
        let gap = try reader.readVarint()
        let (replica, overflow) = previous.addingReportingOverflow(gap)
        guard !overflow, index == 0 || gap > 0 else {
            throw .invalidValue("replicas not strictly increasing", offset: start)
        }
        let counter = try reader.readVarint()
        guard counter > 0 else { throw .invalidValue("zero counter", offset: start) }
        entries[ReplicaID(replica)] = counter
        previous = replica
    }
    return entries
}

extension VersionVector: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { encodeCounters(entries, to: &writer) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeCounters(from: &reader))
    }
}

extension DottedVersionVector: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        context.encode(to: &writer)
        dot.encode(to: &writer)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let context = try VersionVector(from: &reader)
        self.init(context: context, dot: try Dot(from: &reader))
    }
}

extension VectorClock: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) { encodeCounters(entries, to: &writer) }
    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        self.init(try decodeCounters(from: &reader))
    }
}
