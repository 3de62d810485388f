extension Outbox {
    /// Where a relay publishes outbox messages: a broker, another service,
    /// or (in Concord's own demonstration) a consumer's database.
    ///
    /// `publish` returns once the message is delivered; it throws when
    /// delivery failed, and the relay then stops and retries later.
    /// Delivery may repeat a message: the relay promises at least once.
    public protocol Publisher {
        /// Delivers one message.
        func publish(_ message: StoredMessage) throws

        /// Delivers a batch of messages, in order. A publisher that can
        /// deliver several messages at once (one consumer transaction, one
        /// broker round trip) implements it; by default it delivers them one
        /// by one. It may fail part-way: the relay then publishes the whole
        /// batch again.
        func publish(batch messages: [StoredMessage]) throws
    }
}

extension Outbox.Publisher {
    public func publish(batch messages: [Outbox.StoredMessage]) throws {
        for message in messages {
            try publish(message)
        }
    }
}
