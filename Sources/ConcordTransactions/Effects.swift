extension Transactions {
    /// A message addressed to one peer.
    public struct Envelope<Message: Hashable & Sendable>: Hashable, Sendable {
        /// The recipient.
        public var to: PeerID
        /// The message.
        public var message: Message

        /// Creates an envelope.
        public init(to: PeerID, _ message: Message) {
            self.to = to
            self.message = message
        }
    }

    /// Everything a transaction core asks its shell to do after one input.
    ///
    /// Ordering contract, which a shell must follow for the protocol's
    /// guarantees to hold:
    /// 1. `messages` may be sent at once.
    /// 2. `records` must be appended to the core's durable log, in order.
    /// 3. `messagesAfterRecords` may be sent only once every record of this
    ///    value (and of every earlier value) is durable. A vote "yes" and a
    ///    coordinator's commit decision travel here: sending them before the
    ///    log holds them is the classic way to break atomicity. So does every
    ///    message that reveals a decision or a promise, even a repeated one
    ///    (an acknowledgement, an answer to an inquiry, a resend): the record
    ///    behind it may still be on its way to disk, and a crash would let the
    ///    sender contradict what it said.
    /// 4. `decisions` lists decisions the core has applied locally; a shell
    ///    reports them to clients or checkers. A core that crashes before
    ///    its decision record is durable may report the same decision again
    ///    after recovery, never a different one.
    public struct Effects<Record: Hashable & Sendable, Message: Hashable & Sendable>: Hashable, Sendable {
        /// Messages that may be sent now.
        public var messages: [Envelope<Message>] = []
        /// Records to append to the durable log.
        public var records: [Record] = []
        /// Messages that may be sent only after `records` are durable.
        public var messagesAfterRecords: [Envelope<Message>] = []
        /// Decisions applied locally by this input.
        public var decisions: [DecisionReport] = []

        /// Creates an empty value.
        public init() {}

        /// True when the input asked for nothing.
        public var isEmpty: Bool {
            messages.isEmpty && records.isEmpty && messagesAfterRecords.isEmpty && decisions.isEmpty
        }

        /// Appends another value's effects after this one's, keeping the order.
        public mutating func append(_ other: Self) {
            messages += other.messages
            records += other.records
            messagesAfterRecords += other.messagesAfterRecords
            decisions += other.decisions
        }
    }
}
