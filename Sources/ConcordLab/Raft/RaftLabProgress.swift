import ConcordChecker
import ConcordSimulation

/// What a Raft lab client's operation returned, as far as the checker
/// cares: the value a read found.
protocol RaftLabResult: Sendable {
    /// The value a read found (`.some(nil)`: absent), or nil for a write.
    var readValue: String?? { get }
}

extension KVResult {
    var readValue: String?? {
        if case .value(let value) = self { return value }
        return nil
    }
}

extension MVCCLabAnswer {
    var readValue: String?? {
        if case .value(let value) = self { return value }
        return nil
    }
}

/// The end-of-run conditions both Raft lab scenarios wait for, and the
/// history they check.
enum RaftLabProgress {
    /// Whether no client has an operation in flight.
    static func allClientsIdle<Server, Client>(
        _ simulator: borrowing Simulator<RaftLabNode<Server, Client>>, _ settings: RaftLabSettings
    ) -> Bool {
        settings.clients.allSatisfy { simulator.node($0)?.client?.isIdle ?? true }
    }

    /// Whether a running (not paused) server believes it is the leader.
    static func hasLeader<Server, Client>(
        _ simulator: borrowing Simulator<RaftLabNode<Server, Client>>, _ settings: RaftLabSettings
    ) -> Bool {
        settings.servers.contains { simulator.node($0)?.server?.node.role == .leader && !simulator.isPaused($0) }
    }

    /// The clients' histories merged in time order, as checker events. At
    /// equal times invocations come first, so no real-time order is invented.
    static func collectHistory<Server, Client>(
        _ simulator: borrowing Simulator<RaftLabNode<Server, Client>>, _ settings: RaftLabSettings
    ) -> [HistoryEvent] {
        var events: [(time: Int64, rank: Int, sequence: Int, event: HistoryEvent)] = []
        for clientID in settings.clients {
            guard let client = simulator.node(clientID)?.client else { continue }
            for event in client.history.events {
                let (function, key, value, expected) = describe(event.operation)
                let kind: HistoryEvent.Kind
                var recorded = value
                switch event.kind {
                case .invoke: kind = .invoke
                case .ok:
                    kind = .ok
                    if let read = event.result?.readValue { recorded = read }
                case .fail: kind = .fail
                case .info: kind = .info
                }
                let historyEvent = HistoryEvent(
                    process: clientID, kind: kind, function: function, key: key, value: recorded, expected: expected,
                    time: event.time.nanoseconds)
                events.append((event.time.nanoseconds, kind == .invoke ? 0 : 1, events.count, historyEvent))
            }
        }
        events.sort { ($0.time, $0.rank, $0.sequence) < ($1.time, $1.rank, $1.sequence) }
        return events.map(\.event)
    }

    private static func describe(_ operation: KVCommand.Operation) -> (HistoryEvent.Function, String, String?, String?) {
        switch operation {
        case .get(let key): (.get, key, nil, nil)
        case .put(let key, let value): (.put, key, value, nil)
        case .delete(let key): (.delete, key, nil, nil)
        case .cas(let key, let expected, let value): (.cas, key, value, expected)
        }
    }
}
