extension Transactions {
    /// One step of a saga: an action performed by a service, and the
    /// compensation that semantically undoes it.
    ///
    /// A compensation must be idempotent and must eventually succeed: the
    /// orchestrator retries it without limit, because a saga may end only
    /// completed or fully compensated. The service also receives the
    /// compensation for a step whose action timed out (it may or may not
    /// have happened); compensating an action that never happened must be a
    /// no-op that also refuses the action if it arrives later.
    public struct SagaStep: Hashable, Sendable {
        /// The most attempts of one action, the first included.
        public static let attemptsMax = 32
        /// The longest timeout of one attempt.
        public static let timeoutTicksMax = 1_000_000

        /// The service that performs the action and the compensation.
        public var service: PeerID
        /// What the action does, e.g. "charge-payment".
        public var action: String
        /// What the compensation does, e.g. "refund-payment".
        public var compensation: String
        /// Attempts of the action before the saga gives up and compensates.
        public var attempts: Int
        /// How long one attempt may take before it counts as failed.
        public var timeoutTicks: Int

        /// Creates a step.
        public init(service: PeerID, action: String, compensation: String, attempts: Int = 3, timeoutTicks: Int = 20) {
            self.service = service
            self.action = action
            self.compensation = compensation
            self.attempts = attempts
            self.timeoutTicks = timeoutTicks
        }
    }

    /// The idempotency key of one step of one saga. The action and the
    /// compensation of a step share it, so a service can tell a retried
    /// action from a new one and can refuse an action that arrives after
    /// its compensation.
    public struct IdempotencyKey: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The saga.
        public var saga: TransactionID
        /// The step's index in the saga.
        public var step: Int

        /// Creates a key.
        public init(saga: TransactionID, step: Int) {
            self.saga = saga
            self.step = step
        }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.saga, lhs.step) < (rhs.saga, rhs.step)
        }

        public var description: String { "\(saga)#\(step)" }
    }

    /// The messages between a saga orchestrator and the services.
    public enum SagaMessage: Hashable, Sendable, CustomStringConvertible {
        /// Orchestrator to service: perform this action (again, if retried).
        case perform(IdempotencyKey, action: String)
        /// Orchestrator to service: compensate this step.
        case compensate(IdempotencyKey, compensation: String)
        /// Service to orchestrator: the action is done (now or earlier).
        case performed(IdempotencyKey)
        /// Service to orchestrator: the action was refused and did not happen.
        case rejected(IdempotencyKey)
        /// Service to orchestrator: the step is compensated (or never happened).
        case compensated(IdempotencyKey)

        /// The key the message is about.
        public var key: IdempotencyKey {
            switch self {
            case .perform(let key, _), .compensate(let key, _), .performed(let key), .rejected(let key),
                .compensated(let key):
                key
            }
        }

        public var description: String {
            switch self {
            case .perform(let key, let action): "perform(\(key), \(action))"
            case .compensate(let key, let compensation): "compensate(\(key), \(compensation))"
            case .performed(let key): "performed(\(key))"
            case .rejected(let key): "rejected(\(key))"
            case .compensated(let key): "compensated(\(key))"
            }
        }
    }
}
