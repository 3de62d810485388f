extension Outbox {
    /// A message to publish, as the producer writes it.
    public struct Message: Hashable, Sendable {
        /// The longest message id, in UTF-8 bytes.
        public static let idBytesMax = 256
        /// The longest topic, in UTF-8 bytes.
        public static let topicBytesMax = 256
        /// The largest payload, in UTF-8 bytes.
        public static let payloadBytesMax = 1 << 20

        /// Identifies the message for deduplication; unique among all the
        /// producer's messages (for example "order-17-placed").
        public var id: String
        /// What the message is about (for example "orders").
        public var topic: String
        /// The message body.
        public var payload: String

        /// Creates a message after checking its sizes.
        ///
        /// - Throws: ``OutboxError`` when the id or topic is empty or a field is too long.
        public init(id: String, topic: String, payload: String) throws(OutboxError) {
            guard !id.isEmpty, id.utf8.count <= Self.idBytesMax else { throw .badMessageID(id) }
            guard !topic.isEmpty, topic.utf8.count <= Self.topicBytesMax else { throw .badTopic(topic) }
            guard payload.utf8.count <= Self.payloadBytesMax else {
                throw .payloadTooLarge(bytes: payload.utf8.count, limit: Self.payloadBytesMax)
            }
            self.id = id
            self.topic = topic
            self.payload = payload
        }
    }

    /// A message as the outbox stores it: with its place in the outbox's order.
    public struct StoredMessage: Hashable, Sendable {
        /// The position in the outbox; the relay publishes in increasing order.
        public var sequence: Int64
        /// The message.
        public var message: Message

        /// Creates a stored message.
        public init(sequence: Int64, message: Message) {
            self.sequence = sequence
            self.message = message
        }
    }

    /// A request the outbox refused; nothing was written.
    public enum OutboxError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The message id is empty or longer than ``Message/idBytesMax``.
        case badMessageID(String)
        /// The topic is empty or longer than ``Message/topicBytesMax``.
        case badTopic(String)
        /// The payload is larger than ``Message/payloadBytesMax``.
        case payloadTooLarge(bytes: Int, limit: Int)
        /// A relay's batch size is out of range.
        case badBatchSize(Int, limit: Int)
        /// Another outbox row already has this message id.
        case duplicateMessageID(String)

        public var description: String {
            switch self {
            case .badMessageID(let id): "message id '\(id.prefix(40))' must be 1...\(Message.idBytesMax) bytes"
            case .badTopic(let topic): "topic '\(topic.prefix(40))' must be 1...\(Message.topicBytesMax) bytes"
            case .payloadTooLarge(let bytes, let limit): "payload of \(bytes) bytes exceeds the limit of \(limit)"
            case .badBatchSize(let size, let limit): "batch size \(size) must be 1...\(limit)"
            case .duplicateMessageID(let id): "an outbox row with message id '\(id.prefix(40))' already exists"
            }
        }
    }
}
