/// A client's request to the replicated key-value store, identified by the
/// client and a sequence number so that a retried command takes effect once
/// (thesis §6.3).
struct KVCommand: Sendable, Hashable {
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
        writer.write(clientID)
        writer.write(sequence)
        switch operation {
        case .get(let key):
            writer.write(UInt8(0))
            writer.write(key)
        case .put(let key, let value):
            writer.write(UInt8(1))
            writer.write(key)
            writer.write(value)
        case .delete(let key):
            writer.write(UInt8(2))
            writer.write(key)
        case .cas(let key, let expected, let value):
            writer.write(UInt8(3))
            writer.write(key)
            writer.write(expected)
            writer.write(value)
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
        clientID = try reader.readUInt64()
        sequence = try reader.readUInt64()
        switch try reader.readUInt8() {
        case 0: operation = .get(key: try reader.readString())
        case 1: operation = .put(key: try reader.readString(), value: try reader.readString())
        case 2: operation = .delete(key: try reader.readString())
        case 3:
            operation = .cas(key: try reader.readString(), expected: try reader.readOptionalString(), value: try reader.readString())
        case let tag: throw .invalid("operation tag \(tag)")
        }
        guard reader.isAtEnd else { throw .invalid("trailing bytes") }
    }
}

/// What a command returned.
enum KVResult: Sendable, Hashable {
    /// A put or delete took effect, or a cas swapped.
    case done
    /// A get read this value (nil: absent).
    case value(String?)
    /// A cas found another value and changed nothing.
    case casMismatch
}
