extension Transactions {
    /// An event on a choreography bus, about one saga.
    public struct ChoreographyEvent: Hashable, Sendable, CustomStringConvertible {
        /// The saga the event belongs to.
        public var saga: TransactionID
        /// What happened, e.g. "payment-failed".
        public var name: String

        /// Creates an event.
        public init(saga: TransactionID, name: String) {
            self.saga = saga
            self.name = name
        }

        public var description: String { "\(name)(\(saga))" }
    }

    /// A service in a choreographed saga: no orchestrator tells it what to
    /// do; it reacts to other services' events and publishes its own.
    ///
    /// On one of its start events it performs its action and publishes its
    /// success or failure event. On one of its compensation events (the next
    /// service failed or compensated) it undoes its action and publishes its
    /// compensated event, which in turn triggers the service before it. It
    /// handles each event at most once, so a bus that delivers at least once
    /// never makes it act twice.
    public struct ChoreographedService: Hashable, Sendable {
        /// The service's name, e.g. "payment".
        public let name: String
        /// Events that make it perform its action.
        public let startEvents: Set<String>
        /// Events that make it compensate its action.
        public let compensationEvents: Set<String>
        /// The event it publishes when its action succeeds.
        public var succeededEvent: String { "\(name)-done" }
        /// The event it publishes when its action fails (and had no effect).
        public var failedEvent: String { "\(name)-failed" }
        /// The event it publishes once its action is compensated.
        public var compensatedEvent: String { "\(name)-compensated" }

        private var outcomes: [TransactionID: Outcome] = [:]
        private var handled: Set<ChoreographyEvent> = []

        /// What happened to one saga's action here.
        public enum Outcome: Hashable, Sendable {
            /// The action took effect.
            case applied
            /// The action was refused.
            case failed
            /// The action was undone (or compensated before it ever happened).
            case compensated(undid: Bool)
        }

        /// Creates a service.
        public init(name: String, startEvents: Set<String>, compensationEvents: Set<String>) {
            self.name = name
            self.startEvents = startEvents
            self.compensationEvents = compensationEvents
        }

        /// What happened to a saga's action here, nil if nothing.
        public func outcome(of saga: TransactionID) -> Outcome? {
            outcomes[saga]
        }

        /// True when the service reacts to this event.
        public func subscribes(to name: String) -> Bool {
            startEvents.contains(name) || compensationEvents.contains(name)
        }

        /// Handles an event.
        ///
        /// - Parameters:
        ///   - accept: Whether the service's business rules accept a new action.
        /// - Returns: The events to publish.
        public mutating func onEvent(_ event: ChoreographyEvent, accept: Bool = true) -> [ChoreographyEvent] {
            guard handled.insert(event).inserted else { return [] }
            if startEvents.contains(event.name) {
                guard outcomes[event.saga] == nil else { return [] }
                outcomes[event.saga] = accept ? .applied : .failed
                return [ChoreographyEvent(saga: event.saga, name: accept ? succeededEvent : failedEvent)]
            }
            if compensationEvents.contains(event.name) {
                if case .compensated? = outcomes[event.saga] { return [] }
                let undid = outcomes[event.saga] == .applied
                outcomes[event.saga] = .compensated(undid: undid)
                return [ChoreographyEvent(saga: event.saga, name: compensatedEvent)]
            }
            return []
        }

        /// Builds the services of a linear choreographed saga: service `i`
        /// starts when service `i - 1` is done (the first on `startEvent`),
        /// and compensates when service `i + 1` fails or compensates.
        ///
        /// The saga completed when the last service publishes its done event;
        /// it is compensated when the first publishes its failed or
        /// compensated event.
        public static func chain(_ names: [String], startEvent: String) -> [ChoreographedService] {
            names.indices.map { index in
                let start: Set<String> = index == 0 ? [startEvent] : ["\(names[index - 1])-done"]
                let compensate: Set<String> = index + 1 == names.count
                    ? [] : ["\(names[index + 1])-failed", "\(names[index + 1])-compensated"]
                return ChoreographedService(name: names[index], startEvents: start, compensationEvents: compensate)
            }
        }
    }
}
