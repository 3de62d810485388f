/// A single register: read, write, compare-and-set. `nil` is the empty
/// register (the initial state unless another is given).
public struct RegisterModel<Value: Hashable & Sendable>: SequentialModel {
    /// A register operation.
    public enum Input: Sendable, Hashable {
        /// Reads the register.
        case read
        /// Writes a value (`nil` empties the register).
        case write(Value?)
        /// Writes `new` if the register holds `expected`.
        case compareAndSet(expected: Value?, new: Value?)
    }

    /// A register operation's result.
    public enum Output: Sendable, Hashable {
        /// The value a read returned.
        case read(Value?)
        /// A write completed.
        case written
        /// Whether a compare-and-set swapped.
        case compareAndSet(swapped: Bool)
    }

    public typealias State = Value?

    public let initialState: Value?

    /// A register that starts with `initialValue` (empty by default).
    public init(initialValue: Value? = nil) {
        self.initialState = initialValue
    }

    public func step(_ state: Value?, _ input: Input, _ output: Output?) -> Value?? {
        switch (input, output) {
        case (.read, nil):
            return .some(state)
        case (.read, .read(let value)?):
            return value == state ? .some(state) : nil
        case (.write(let value), nil), (.write(let value), .written?):
            return .some(value)
        case (.compareAndSet(let expected, let new), nil):
            return .some(state == expected ? new : state)
        case (.compareAndSet(let expected, let new), .compareAndSet(let swapped)?):
            if swapped { return state == expected ? .some(new) : nil }
            return state == expected ? nil : .some(state)
        default:
            return nil
        }
    }

    public func isReadOnly(input: Input, output: Output?) -> Bool {
        switch (input, output) {
        case (.read, .read?), (.compareAndSet, .compareAndSet(swapped: false)?): true
        default: false
        }
    }

    public func describe(state: Value?) -> String {
        state.map { "\($0)" } ?? "empty"
    }

    public func describe(input: Input, output: Output?) -> String {
        let call: String
        switch input {
        case .read: call = "read"
        case .write(let value): call = "write(\(value.map { "\($0)" } ?? "empty"))"
        case .compareAndSet(let expected, let new):
            call = "cas(\(expected.map { "\($0)" } ?? "empty") → \(new.map { "\($0)" } ?? "empty"))"
        }
        switch output {
        case nil: return "\(call) ?"
        case .read(let value)?: return "\(call) → \(value.map { "\($0)" } ?? "empty")"
        case .written?: return call
        case .compareAndSet(let swapped)?: return "\(call) → \(swapped ? "swapped" : "not swapped")"
        }
    }
}
