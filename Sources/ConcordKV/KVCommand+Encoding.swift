import ConcordFoundation
/// The binary form of a `KVCommand` in a log entry (format version 1):
///
///     command  = version:u8(1) tag:u8 body
///     tag      = 1 put | 2 deleteRange | 3 txn | 4 compact   (5… reserved for leases)
///     put      = key:bytes value:bytes lease:sint flags:u8(prevKV 1, ignoreValue 2, ignoreLease 4)
///     delete   = key:bytes rangeEnd:bytes flags:u8(prevKV 1)
///     range    = key:bytes rangeEnd:bytes limit:sint revision:sint sortOrder:u8 sortTarget:u8
///                flags:u8(serializable 1, keysOnly 2, countOnly 4)
///                minMod:sint maxMod:sint minCreate:sint maxCreate:sint
///     compare  = result:u8 target:u8 operand(sint, or bytes for value) key:bytes rangeEnd:bytes
///     txn      = count compare* count op* count op*      (compare, success, failure)
///     op       = u8(1 range | 2 put | 3 delete | 4 txn) body
///     compact  = revision:sint flags:u8(physical 1)
///
/// `bytes` is a varint length then the bytes; `sint` a zigzag varint;
/// `count` an unsigned varint. Decoding refuses anything else with a
/// `KVDecodingError`.
extension KVCommand {
    /// The version byte that starts every encoded command.
    public static let formatVersion: UInt8 = 1

    enum Tag: UInt8 {
        case put = 1
        case deleteRange = 2
        case txn = 3
        case compact = 4
    }

    /// The command's log entry bytes.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeByte(Self.formatVersion)
        switch self {
        case .put(let request):
            writer.writeByte(Tag.put.rawValue)
            KVCoding.write(request, to: &writer)
        case .deleteRange(let request):
            writer.writeByte(Tag.deleteRange.rawValue)
            KVCoding.write(request, to: &writer)
        case .txn(let request):
            writer.writeByte(Tag.txn.rawValue)
            KVCoding.write(request, to: &writer)
        case .compact(let request):
            writer.writeByte(Tag.compact.rawValue)
            writer.writeSignedVarint(request.revision)
            writer.writeByte(request.physical ? 1 : 0)
        }
        return writer.bytes
    }

    /// Decodes a command from its log entry bytes.
    /// - Throws: `KVDecodingError` for anything `encoded()` cannot produce.
    public init(decoding bytes: [UInt8]) throws(KVDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.byte()
        guard version == Self.formatVersion else { throw .unsupportedFormatVersion(version) }
        let rawTag = try reader.byte()
        guard let tag = Tag(rawValue: rawTag) else { throw .unknownTag(field: "command", tag: rawTag) }
        switch tag {
        case .put: self = .put(try KVCoding.readPut(&reader))
        case .deleteRange: self = .deleteRange(try KVCoding.readDeleteRange(&reader))
        case .txn: self = .txn(try KVCoding.readTxn(&reader, depth: 1))
        case .compact:
            let revision = try reader.signed()
            let flags = try reader.flags("compaction", allowed: 1)
            self = .compact(CompactionRequest(revision: revision, physical: flags & 1 != 0))
        }
        try reader.expectEnd()
    }
}

/// The writers and readers of each request type, shared by commands and
/// (for key-value pairs) snapshots.
enum KVCoding {
    static func write(_ request: PutRequest, to writer: inout BinaryWriter) {
        writer.writeBytes(request.key)
        writer.writeBytes(request.value)
        writer.writeSignedVarint(request.lease)
        writer.writeByte((request.prevKV ? 1 : 0) | (request.ignoreValue ? 2 : 0) | (request.ignoreLease ? 4 : 0))
    }

    static func readPut(_ reader: inout BinaryReader) throws(KVDecodingError) -> PutRequest {
        let key = try reader.data()
        let value = try reader.data()
        let lease = try reader.signed()
        let flags = try reader.flags("put", allowed: 7)
        return PutRequest(
            key: key, value: value, lease: lease, prevKV: flags & 1 != 0, ignoreValue: flags & 2 != 0,
            ignoreLease: flags & 4 != 0)
    }

    static func write(_ request: DeleteRangeRequest, to writer: inout BinaryWriter) {
        writer.writeBytes(request.key)
        writer.writeBytes(request.rangeEnd)
        writer.writeByte(request.prevKV ? 1 : 0)
    }

    static func readDeleteRange(_ reader: inout BinaryReader) throws(KVDecodingError) -> DeleteRangeRequest {
        let key = try reader.data()
        let rangeEnd = try reader.data()
        let flags = try reader.flags("delete", allowed: 1)
        return DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: flags & 1 != 0)
    }

    static func write(_ request: RangeRequest, to writer: inout BinaryWriter) {
        writer.writeBytes(request.key)
        writer.writeBytes(request.rangeEnd)
        writer.writeSignedVarint(request.limit)
        writer.writeSignedVarint(request.revision)
        writer.writeByte(UInt8(request.sortOrder.rawValue))
        writer.writeByte(UInt8(request.sortTarget.rawValue))
        writer.writeByte((request.serializable ? 1 : 0) | (request.keysOnly ? 2 : 0) | (request.countOnly ? 4 : 0))
        writer.writeSignedVarint(request.minModRevision)
        writer.writeSignedVarint(request.maxModRevision)
        writer.writeSignedVarint(request.minCreateRevision)
        writer.writeSignedVarint(request.maxCreateRevision)
    }

    static func readRange(_ reader: inout BinaryReader) throws(KVDecodingError) -> RangeRequest {
        let key = try reader.data()
        let rangeEnd = try reader.data()
        let limit = try reader.signed()
        let revision = try reader.signed()
        let orderTag = try reader.byte()
        guard let order = RangeRequest.SortOrder(rawValue: Int(orderTag)) else {
            throw .unknownTag(field: "sort order", tag: orderTag)
        }
        let targetTag = try reader.byte()
        guard let target = RangeRequest.SortTarget(rawValue: Int(targetTag)) else {
            throw .unknownTag(field: "sort target", tag: targetTag)
        }
        let flags = try reader.flags("range", allowed: 7)
        return RangeRequest(
            key: key, rangeEnd: rangeEnd, limit: limit, revision: revision, sortOrder: order, sortTarget: target,
            serializable: flags & 1 != 0, keysOnly: flags & 2 != 0, countOnly: flags & 4 != 0,
            minModRevision: try reader.signed(), maxModRevision: try reader.signed(),
            minCreateRevision: try reader.signed(), maxCreateRevision: try reader.signed())
    }

    static func write(_ compare: Compare, to writer: inout BinaryWriter) {
        writer.writeByte(UInt8(compare.result.rawValue))
        switch compare.target {
        case .version(let operand):
            writer.writeByte(0)
            writer.writeSignedVarint(operand)
        case .createRevision(let operand):
            writer.writeByte(1)
            writer.writeSignedVarint(operand)
        case .modRevision(let operand):
            writer.writeByte(2)
            writer.writeSignedVarint(operand)
        case .value(let operand):
            writer.writeByte(3)
            writer.writeBytes(operand)
        case .lease(let operand):
            writer.writeByte(4)
            writer.writeSignedVarint(operand)
        }
        writer.writeBytes(compare.key)
        writer.writeBytes(compare.rangeEnd)
    }

    static func readCompare(_ reader: inout BinaryReader) throws(KVDecodingError) -> Compare {
        let resultTag = try reader.byte()
        guard let result = Compare.Result(rawValue: Int(resultTag)) else {
            throw .unknownTag(field: "compare result", tag: resultTag)
        }
        let targetTag = try reader.byte()
        let target: Compare.Target
        switch targetTag {
        case 0: target = .version(try reader.signed())
        case 1: target = .createRevision(try reader.signed())
        case 2: target = .modRevision(try reader.signed())
        case 3: target = .value(try reader.data())
        case 4: target = .lease(try reader.signed())
        default: throw .unknownTag(field: "compare target", tag: targetTag)
        }
        let key = try reader.data()
        let rangeEnd = try reader.data()
        return Compare(key: key, rangeEnd: rangeEnd, target: target, result: result)
    }

    static func write(_ request: TxnRequest, to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(request.compare.count))
        for compare in request.compare {
            write(compare, to: &writer)
        }
        for branch in [request.success, request.failure] {
            writer.writeVarint(UInt64(branch.count))
            for operation in branch {
                write(operation, to: &writer)
            }
        }
    }

    static func write(_ operation: RequestOp, to writer: inout BinaryWriter) {
        switch operation {
        case .range(let request):
            writer.writeByte(1)
            write(request, to: &writer)
        case .put(let request):
            writer.writeByte(2)
            write(request, to: &writer)
        case .deleteRange(let request):
            writer.writeByte(3)
            write(request, to: &writer)
        case .txn(let request):
            writer.writeByte(4)
            write(request, to: &writer)
        }
    }

    static func readTxn(_ reader: inout BinaryReader, depth: Int) throws(KVDecodingError) -> TxnRequest {
        guard depth <= KVLimits.txnNestingDepthMax else { throw .nestingTooDeep }
        var request = TxnRequest()
        // The smallest compare is 5 bytes; the smallest operation 4.
        let compareCount = try reader.count(minimumBytes: 5)
        request.compare.reserveCapacity(compareCount)
        for _ in 0..<compareCount {
            request.compare.append(try readCompare(&reader))
        }
        request.success = try readOperations(&reader, depth: depth)
        request.failure = try readOperations(&reader, depth: depth)
        return request
    }

    static func readOperations(_ reader: inout BinaryReader, depth: Int) throws(KVDecodingError) -> [RequestOp] {
        let count = try reader.count(minimumBytes: 4)
        var operations: [RequestOp] = []
        operations.reserveCapacity(count)
        for _ in 0..<count {
            let tag = try reader.byte()
            switch tag {
            case 1: operations.append(.range(try readRange(&reader)))
            case 2: operations.append(.put(try readPut(&reader)))
            case 3: operations.append(.deleteRange(try readDeleteRange(&reader)))
            case 4: operations.append(.txn(try readTxn(&reader, depth: depth + 1)))
            default: throw .unknownTag(field: "operation", tag: tag)
            }
        }
        return operations
    }
}
