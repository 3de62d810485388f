extension Transactions {
    /// An in-memory event bus for choreographed sagas: it delivers each
    /// published event to every subscribed service, at least once, in
    /// publication order, and records every event it carried.
    ///
    /// The bus is a deterministic model for tests and demonstrations; a
    /// service deployment would put a broker (or the transactional outbox)
    /// in its place.
    public struct ChoreographyBus: Hashable, Sendable {
        /// The most events waiting for delivery.
        public static let pendingEventsMax = 100_000

        /// The services on the bus.
        public private(set) var services: [ChoreographedService]
        /// Every event published, in order.
        public private(set) var published: [ChoreographyEvent] = []
        private var pending: [ChoreographyEvent] = []
        private var pendingStart = 0

        /// Creates a bus carrying events between these services.
        public init(services: [ChoreographedService]) {
            self.services = services
        }

        /// True when no event waits for delivery.
        public var isIdle: Bool { pendingStart == pending.count }

        /// Publishes an event.
        public mutating func publish(_ event: ChoreographyEvent) {
            precondition(pending.count - pendingStart < Self.pendingEventsMax, "choreography bus overflow")
            published.append(event)
            pending.append(event)
        }

        /// Delivers the oldest pending event to its subscribers and publishes
        /// what they emit.
        ///
        /// - Parameters:
        ///   - duplicate: Deliver the event twice, as an at-least-once bus may.
        ///   - accept: Whether a service (by name) accepts a saga's action.
        /// - Returns: The delivered event, nil when the bus was idle.
        @discardableResult
        public mutating func deliverNext(duplicate: Bool = false,
                                         accept: (String, TransactionID) -> Bool = { _, _ in true }) -> ChoreographyEvent? {
            guard !isIdle else { return nil }
            let event = pending[pendingStart]
            pendingStart += 1
            if pendingStart == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingStart = 0
            }
            for index in services.indices where services[index].subscribes(to: event.name) {
                let verdict = accept(services[index].name, event.saga)
                for _ in 0..<(duplicate ? 2 : 1) {
                    for emitted in services[index].onEvent(event, accept: verdict) {
                        publish(emitted)
                    }
                }
            }
            return event
        }

        /// Delivers events until the bus is idle.
        public mutating func deliverAll(duplicate: Bool = false,
                                        accept: (String, TransactionID) -> Bool = { _, _ in true }) {
            while deliverNext(duplicate: duplicate, accept: accept) != nil {}
        }

        /// The service with this name.
        public func service(named name: String) -> ChoreographedService? {
            services.first { $0.name == name }
        }
    }
}
