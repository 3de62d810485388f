import ConcordChecker

/// Writes histories for tests in a few words: each call appends one event at
/// the next time step; a completion repeats the function and key of its
/// process's open invocation.
struct HistoryScript {
    private(set) var events: [HistoryEvent] = []
    private var open: [Int: HistoryEvent] = [:]

    mutating func invoke(_ process: Int, _ function: HistoryEvent.Function, _ key: String = "x", _ value: String? = nil, expected: String? = nil) {
        let event = HistoryEvent(process: process, kind: .invoke, function: function, key: key, value: value, expected: expected, time: Int64(events.count))
        open[process] = event
        events.append(event)
    }

    mutating func complete(_ process: Int, _ kind: HistoryEvent.Kind, _ value: String? = nil) {
        let invoked = open.removeValue(forKey: process)!
        let echoed = invoked.function == .get ? value : invoked.value
        events.append(HistoryEvent(process: process, kind: kind, function: invoked.function, key: invoked.key, value: echoed, expected: invoked.expected, time: Int64(events.count)))
    }

    mutating func ok(_ process: Int, _ read: String? = nil) { complete(process, .ok, read) }
    mutating func fail(_ process: Int) { complete(process, .fail) }
    mutating func info(_ process: Int) { complete(process, .info) }

    /// An operation invoked and completed `ok` at once.
    mutating func run(_ process: Int, _ function: HistoryEvent.Function, _ key: String = "x", _ value: String? = nil, expected: String? = nil, read: String? = nil) {
        invoke(process, function, key, value, expected: expected)
        ok(process, read)
    }

    func history() throws -> History { try History(events) }
}
