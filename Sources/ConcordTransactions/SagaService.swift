extension Transactions {
    /// A record in a saga service's durable log. In a real service each
    /// record is written in the same local transaction as the business
    /// change it describes, so the effect and its idempotency record commit
    /// or vanish together.
    public enum SagaServiceRecord: Hashable, Sendable {
        /// The action for this key took effect.
        case applied(IdempotencyKey, action: String)
        /// The action for this key was refused and had no effect.
        case rejected(IdempotencyKey)
        /// The step is compensated; `undid` tells whether an applied action was undone.
        case compensated(IdempotencyKey, undid: Bool)
    }

    /// A service that performs saga steps idempotently.
    ///
    /// Each key is applied at most once: a repeated `perform` gets the first
    /// answer again. A `compensate` undoes an applied action and leaves a
    /// tombstone, so an action that arrives after its compensation (a delayed
    /// retry) is refused instead of applied.
    public struct SagaService: Hashable, Sendable {
        /// This service's identity.
        public let id: PeerID
        private var keys: [IdempotencyKey: SagaServiceRecord] = [:]

        /// Creates a service, or recovers one from its durable log.
        public init(id: PeerID, log: [SagaServiceRecord] = []) {
            self.id = id
            for record in log {
                switch record {
                case .applied(let key, _), .rejected(let key), .compensated(let key, _):
                    keys[key] = record
                }
            }
        }

        /// Keys whose action is in effect here (applied and not compensated).
        public var effectiveKeys: [IdempotencyKey] {
            keys.compactMap { key, record in
                if case .applied = record { return key }
                return nil
            }.sorted()
        }

        /// Handles an orchestrator's request.
        ///
        /// - Parameters:
        ///   - accept: Whether this service's business rules accept a new
        ///     action (for example, the card is not declined); ignored for
        ///     repeated actions and for compensations.
        /// - Returns: The record to make durable, and the reply, which leaves
        ///   only after the record is durable.
        public mutating func onMessage(_ message: SagaMessage, from sender: PeerID, accept: Bool = true) -> Effects<SagaServiceRecord, SagaMessage> {
            var effects = Effects<SagaServiceRecord, SagaMessage>()
            switch message {
            case .perform(let key, let action):
                switch keys[key] {
                case .applied?:
                    effects.messagesAfterRecords.append(Envelope(to: sender, .performed(key)))
                case .rejected?, .compensated?:
                    effects.messagesAfterRecords.append(Envelope(to: sender, .rejected(key)))
                case nil:
                    let record: SagaServiceRecord = accept ? .applied(key, action: action) : .rejected(key)
                    keys[key] = record
                    effects.records.append(record)
                    effects.messagesAfterRecords.append(Envelope(to: sender, accept ? .performed(key) : .rejected(key)))
                }
            case .compensate(let key, _):
                switch keys[key] {
                case .compensated?:
                    effects.messagesAfterRecords.append(Envelope(to: sender, .compensated(key)))
                case let existing:
                    var undid = false
                    if case .applied? = existing { undid = true }
                    let record = SagaServiceRecord.compensated(key, undid: undid)
                    keys[key] = record
                    effects.records.append(record)
                    effects.messagesAfterRecords.append(Envelope(to: sender, .compensated(key)))
                }
            case .performed, .rejected, .compensated:
                break
            }
            return effects
        }
    }
}
