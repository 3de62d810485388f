/// A FIFO queue: enqueue at the back, dequeue from the front. Starts empty;
/// dequeuing an empty queue returns `nil`.
public struct QueueModel<Element: Hashable & Sendable>: SequentialModel {
    /// A queue operation.
    public enum Input: Sendable, Hashable {
        /// Appends an element.
        case enqueue(Element)
        /// Removes the front element.
        case dequeue
    }

    /// A queue operation's result.
    public enum Output: Sendable, Hashable {
        /// An enqueue completed.
        case enqueued
        /// The element a dequeue removed (`nil`: the queue was empty).
        case dequeued(Element?)
    }

    public var initialState: [Element] { [] }

    /// The queue model.
    public init() {}

    public func step(_ state: [Element], _ input: Input, _ output: Output?) -> [Element]? {
        switch (input, output) {
        case (.enqueue(let element), nil), (.enqueue(let element), .enqueued?):
            return state + [element]
        case (.dequeue, nil):
            return Array(state.dropFirst())
        case (.dequeue, .dequeued(let element)?):
            guard state.first == element else { return nil }
            return Array(state.dropFirst())
        default:
            return nil
        }
    }

    public func isReadOnly(input: Input, output: Output?) -> Bool {
        if case (.dequeue, .dequeued(nil)?) = (input, output) { return true }
        return false
    }

    public func describe(state: [Element]) -> String {
        "[" + state.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    public func describe(input: Input, output: Output?) -> String {
        switch (input, output) {
        case (.enqueue(let element), _): "enqueue(\(element))"
        case (.dequeue, .dequeued(let element?)?): "dequeue → \(element)"
        case (.dequeue, .dequeued(nil)?): "dequeue → empty"
        case (.dequeue, _): "dequeue"
        }
    }

    public func describeRejection(input: Input, output: Output?, state: [Element]) -> String {
        if case (.dequeue, .dequeued(let element)?) = (input, output) {
            let front = state.first.map { "\($0) is at the front" } ?? "the queue is empty"
            return "it dequeued \(element.map { "\($0)" } ?? "nothing") but \(front) at that point"
        }
        return "\(describe(input: input, output: output)) is impossible when the queue is \(describe(state: state))"
    }
}
