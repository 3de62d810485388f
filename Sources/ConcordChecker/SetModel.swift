/// A set: insert, remove, membership test and full read. Starts empty.
public struct SetModel<Element: Hashable & Sendable>: SequentialModel {
    /// A set operation.
    public enum Input: Sendable, Hashable {
        /// Adds an element (no effect if present).
        case insert(Element)
        /// Removes an element (no effect if absent).
        case remove(Element)
        /// Tests membership.
        case contains(Element)
        /// Reads every element.
        case read
    }

    /// A set operation's result.
    public enum Output: Sendable, Hashable {
        /// An insert or remove completed.
        case done
        /// Whether the element was present.
        case contains(Bool)
        /// The elements a read returned.
        case elements(Set<Element>)
    }

    public var initialState: Set<Element> { [] }

    /// The set model.
    public init() {}

    public func step(_ state: Set<Element>, _ input: Input, _ output: Output?) -> Set<Element>? {
        switch (input, output) {
        case (.insert(let element), nil), (.insert(let element), .done?):
            var after = state
            after.insert(element)
            return after
        case (.remove(let element), nil), (.remove(let element), .done?):
            var after = state
            after.remove(element)
            return after
        case (.contains, nil), (.read, nil):
            return state
        case (.contains(let element), .contains(let present)?):
            return state.contains(element) == present ? state : nil
        case (.read, .elements(let elements)?):
            return elements == state ? state : nil
        default:
            return nil
        }
    }

    public func isReadOnly(input: Input, output: Output?) -> Bool {
        switch (input, output) {
        case (.contains, .contains?), (.read, .elements?): true
        default: false
        }
    }

    public func describe(state: Set<Element>) -> String {
        "{" + state.map { "\($0)" }.sorted().joined(separator: ", ") + "}"
    }

    public func describe(input: Input, output: Output?) -> String {
        switch (input, output) {
        case (.insert(let element), _): "insert(\(element))"
        case (.remove(let element), _): "remove(\(element))"
        case (.contains(let element), .contains(let present)?): "contains(\(element)) → \(present)"
        case (.contains(let element), _): "contains(\(element))"
        case (.read, .elements(let elements)?): "read → \(describe(state: elements))"
        case (.read, _): "read"
        }
    }
}
