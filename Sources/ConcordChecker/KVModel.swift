/// The key-value map of Concord's histories: get, put, delete and
/// compare-and-set over string keys and values. A missing key reads as `nil`.
///
/// Keys are independent, so the linearizability check splits a kv history by
/// key (P-compositionality) and checks each key against
/// ``KVModel/KeyModel``, the same rules over one key's value.
public struct KVModel: SequentialModel {
    /// A kv operation's arguments.
    public struct Input: Sendable, Hashable {
        /// The function.
        public var function: HistoryEvent.Function
        /// The key.
        public var key: String
        /// For `put` and `cas`, the value written.
        public var value: String?
        /// For `cas`, the value the key must hold (`nil` meaning absent).
        public var expected: String?

        /// Creates an input.
        public init(function: HistoryEvent.Function, key: String, value: String? = nil, expected: String? = nil) {
            self.function = function
            self.key = key
            self.value = value
            self.expected = expected
        }
    }

    /// A kv operation's result.
    public enum Output: Sendable, Hashable {
        /// The value a `get` read (`nil` when absent).
        case value(String?)
        /// A `put` or `delete` completed, or a `cas` swapped.
        case done
        /// A `cas` found another value and did not swap.
        case notSwapped
    }

    public typealias State = [String: String]

    public var initialState: [String: String] { [:] }

    /// The kv model.
    public init() {}

    public func step(_ state: [String: String], _ input: Input, _ output: Output?) -> [String: String]? {
        guard let next = KeyModel.apply(state[input.key], input, output) else { return nil }
        if next == state[input.key] { return state }
        var after = state
        after[input.key] = next
        return after
    }

    public func isReadOnly(input: Input, output: Output?) -> Bool {
        KeyModel.isReadOnly(input, output)
    }

    public func describe(state: [String: String]) -> String {
        if state.isEmpty { return "empty" }
        return "{" + state.sorted { $0.key < $1.key }.map { "\($0.key): \(quoted($0.value))" }.joined(separator: ", ") + "}"
    }

    public func describe(input: Input, output: Output?) -> String {
        KeyModel.describe(input, output)
    }

    public func describeRejection(input: Input, output: Output?, state: [String: String]) -> String {
        KeyModel.rejection(input, output, state[input.key])
    }

    /// One key of the kv model: the state is that key's value (`nil` when
    /// absent). The key carried by each input is ignored.
    public struct KeyModel: SequentialModel {
        public typealias Input = KVModel.Input
        public typealias Output = KVModel.Output
        public typealias State = String?

        public var initialState: String? { nil }

        /// The model of one key, initially absent.
        public init() {}

        public func step(_ state: String?, _ input: Input, _ output: Output?) -> String?? {
            Self.apply(state, input, output)
        }

        public func isReadOnly(input: Input, output: Output?) -> Bool {
            Self.isReadOnly(input, output)
        }

        /// A `get` with a known result, or a `cas` known not to have swapped.
        static func isReadOnly(_ input: Input, _ output: Output?) -> Bool {
            switch (input.function, output) {
            case (.get, .value?), (.cas, .notSwapped?): true
            default: false
            }
        }

        public func describe(state: String?) -> String {
            quoted(state)
        }

        public func describe(input: Input, output: Output?) -> String {
            Self.describe(input, output)
        }

        public func describeRejection(input: Input, output: Output?, state: String?) -> String {
            Self.rejection(input, output, state)
        }

        /// The value of a key after `input` returned `output` when it held
        /// `current`; `.none` if that output is impossible.
        static func apply(_ current: String?, _ input: Input, _ output: Output?) -> String?? {
            switch (input.function, output) {
            case (.get, nil):
                return .some(current)
            case (.get, .value(let read)?):
                return read == current ? .some(current) : .none
            case (.put, nil), (.put, .done?):
                return .some(input.value)
            case (.delete, nil), (.delete, .done?):
                return .some(nil)
            case (.cas, nil):
                return .some(current == input.expected ? input.value : current)
            case (.cas, .done?):
                return current == input.expected ? .some(input.value) : .none
            case (.cas, .notSwapped?):
                return current == input.expected ? .none : .some(current)
            default:
                return .none
            }
        }

        static func describe(_ input: Input, _ output: Output?) -> String {
            let call: String
            switch input.function {
            case .get: call = "get(\(input.key))"
            case .put: call = "put(\(input.key), \(quoted(input.value)))"
            case .delete: call = "delete(\(input.key))"
            case .cas: call = "cas(\(input.key), \(quoted(input.expected)) → \(quoted(input.value)))"
            }
            switch output {
            case nil: return "\(call) ?"
            case .value(let read)?: return "\(call) → \(quoted(read))"
            case .done?: return call
            case .notSwapped?: return "\(call) not swapped"
            }
        }

        static func rejection(_ input: Input, _ output: Output?, _ current: String?) -> String {
            switch (input.function, output) {
            case (.get, .value(let read)?):
                return "it read \(quoted(read)) but \(input.key) holds \(quoted(current)) at that point"
            case (.cas, .done?):
                return "it swapped from \(quoted(input.expected)) but \(input.key) holds \(quoted(current)) at that point"
            case (.cas, .notSwapped?):
                return "it did not swap although \(input.key) holds the expected \(quoted(current)) at that point"
            default:
                return "\(describe(input, output)) is impossible when \(input.key) holds \(quoted(current))"
            }
        }
    }
}

extension SequentialModel where Self == KVModel {
    /// The key-value model.
    public static var kv: KVModel { KVModel() }
}
