import ConcordFoundation
import ConcordClocks

/// A client's request to the replicated key-value store, identified by the
/// client and a sequence number so that a retried command takes effect once
/// (thesis §6.3).
struct PaxosLabKVCommand: Sendable, Hashable {
    /// The operation.
    enum Operation: Sendable, Hashable {
        case get(key: String)
        case put(key: String, value: String)
        case delete(key: String)
        case cas(key: String, expected: String?, value: String)

        var key: String {
            switch self {
            case .get(let key), .put(let key, _), .delete(let key), .cas(let key, _, _): key
            }
        }

        var isRead: Bool {
            if case .get = self { return true }
            return false
        }
    }

    /// The client's session.
    var clientID: UInt64
    /// Increases by one with every new operation of the client.
    var sequence: UInt64
    var operation: Operation

    func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeFixedWidth(clientID)
        writer.writeFixedWidth(sequence)
        switch operation {
        case .get(let key):
            writer.writeByte(UInt8(0))
            writer.writeFixedWidthString(key)
        case .put(let key, let value):
            writer.writeByte(UInt8(1))
            writer.writeFixedWidthString(key)
            writer.writeFixedWidthString(value)
        case .delete(let key):
            writer.writeByte(UInt8(2))
            writer.writeFixedWidthString(key)
        case .cas(let key, let expected, let value):
            writer.writeByte(UInt8(3))
            writer.writeFixedWidthString(key)
            writer.writeFixedWidthOptionalString(expected)
            writer.writeFixedWidthString(value)
        }
        return writer.bytes
    }

    init(clientID: UInt64, sequence: UInt64, operation: Operation) {
        self.clientID = clientID
        self.sequence = sequence
        self.operation = operation
    }

    init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        clientID = try reader.readFixedWidthUInt64()
        sequence = try reader.readFixedWidthUInt64()
        switch try reader.readByte() {
        case 0: operation = .get(key: try reader.readFixedWidthString())
        case 1: operation = .put(key: try reader.readFixedWidthString(), value: try reader.readFixedWidthString())
        case 2: operation = .delete(key: try reader.readFixedWidthString())
        case 3:
            operation = .cas(key: try reader.readFixedWidthString(), expected: try reader.readFixedWidthOptionalString(), value: try reader.readFixedWidthString())
        case let tag: throw .invalidValue("operation tag \(tag)", offset: reader.offset - 1)
        }
        try reader.finish()
    }
}

/// What a command returned.
enum PaxosLabKVResult: Sendable, Hashable {
    /// A put or delete took effect, or a cas swapped.
    case done
    /// A get read this value (nil: absent).
    case value(String?)
    /// A cas found another value and changed nothing.
    case casMismatch
}
