/// A counter: add a (possibly negative) amount, read the total. Starts at 0.
public struct CounterModel: SequentialModel {
    /// A counter operation.
    public enum Input: Sendable, Hashable {
        /// Adds an amount.
        case add(Int)
        /// Reads the total.
        case read
    }

    /// A counter operation's result.
    public enum Output: Sendable, Hashable {
        /// An addition completed.
        case added
        /// The total a read returned.
        case value(Int)
    }

    public var initialState: Int { 0 }

    /// The counter model.
    public init() {}

    public func step(_ state: Int, _ input: Input, _ output: Output?) -> Int? {
        switch (input, output) {
        case (.add(let amount), nil), (.add(let amount), .added?):
            let (sum, overflow) = state.addingReportingOverflow(amount)
            return overflow ? nil : sum
        case (.read, nil):
            return state
        case (.read, .value(let total)?):
            return total == state ? state : nil
        default:
            return nil
        }
    }

    public func isReadOnly(input: Input, output: Output?) -> Bool {
        if case (.read, .value?) = (input, output) { return true }
        return false
    }

    public func describe(state: Int) -> String { "\(state)" }

    public func describe(input: Input, output: Output?) -> String {
        switch (input, output) {
        case (.add(let amount), _): "add(\(amount))"
        case (.read, .value(let total)?): "read → \(total)"
        case (.read, _): "read"
        }
    }

    public func describeRejection(input: Input, output: Output?, state: Int) -> String {
        if case (.read, .value(let total)?) = (input, output) {
            return "it read \(total) but the counter is \(state) at that point"
        }
        return "\(describe(input: input, output: output)) is impossible when the counter is \(state)"
    }
}
