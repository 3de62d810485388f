/// Why a history was rejected before any check ran.
///
/// Validation errors name the index of the offending event (0-based, in
/// history order) and, when the history came from a JSON Lines file, the
/// 1-based line it was read from.
public enum HistoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line of a JSON Lines file is not a valid event.
    case invalidLine(line: Int, reason: String)
    /// An event breaks the rules of a history.
    case invalidEvent(index: Int, line: Int?, problem: HistoryProblem)

    /// The 1-based line of the file at fault, if the history came from one.
    public var line: Int? {
        switch self {
        case .invalidLine(let line, _): line
        case .invalidEvent(_, let line, _): line
        }
    }

    /// The 0-based index of the event at fault, if the event was parsed.
    public var eventIndex: Int? {
        switch self {
        case .invalidLine: nil
        case .invalidEvent(let index, _, _): index
        }
    }

    public var description: String {
        switch self {
        case .invalidLine(let line, let reason):
            "line \(line): \(reason)"
        case .invalidEvent(let index, let line?, let problem):
            "line \(line) (event \(index)): \(problem)"
        case .invalidEvent(let index, nil, let problem):
            "event \(index): \(problem)"
        }
    }
}

/// A rule of histories that an event breaks.
public enum HistoryProblem: Sendable, Hashable, CustomStringConvertible {
    /// A completion (`ok`, `fail` or `info`) for a process with no open
    /// operation.
    case completionWithoutInvoke(process: Int)
    /// An invocation while the process still has an operation open.
    case operationAlreadyOpen(process: Int, openInvokeIndex: Int)
    /// An event of a process after that process's `info` completion: an
    /// indeterminate operation ends its process.
    case eventAfterInfo(process: Int, infoIndex: Int)
    /// An event whose time is earlier than the event before it.
    case timeWentBackwards(time: Int64, previousTime: Int64)
    /// A completion whose function or key differs from its invocation's.
    case completionMismatch(invokeIndex: Int, field: String, invoked: String, completed: String)
    /// An invocation that lacks an argument its function needs.
    case missingArgument(function: HistoryEvent.Function, argument: String)

    public var description: String {
        switch self {
        case .completionWithoutInvoke(let process):
            "a completion for process \(process), which has no open operation"
        case .operationAlreadyOpen(let process, let open):
            "process \(process) invokes an operation while the one it invoked at event \(open) is still open"
        case .eventAfterInfo(let process, let info):
            "process \(process) has an event after its indeterminate (info) completion at event \(info)"
        case .timeWentBackwards(let time, let previous):
            "time goes backwards, from \(previous) to \(time)"
        case .completionMismatch(let invoke, let field, let invoked, let completed):
            "the completion's \(field) is \(completed) but the invocation at event \(invoke) has \(invoked)"
        case .missingArgument(let function, let argument):
            "\(function.rawValue) needs a \(argument)"
        }
    }
}
