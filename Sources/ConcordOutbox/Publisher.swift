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
    }
}
