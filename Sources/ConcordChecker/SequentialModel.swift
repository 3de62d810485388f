/// A sequential specification: a pure step function over a hashable state.
///
/// The linearizability search asks the model, for an operation it tries to
/// place next, which state follows; `nil` means the model cannot produce the
/// observed output in that state, so the operation cannot go there. The state
/// must be `Hashable` because the search caches (linearized set, state) pairs
/// it has already explored.
///
/// An operation whose outcome was not observed (an `info` operation) is
/// stepped with `output == nil`: the model must then return the state after
/// some execution of the input, or `nil` if none changes anything the model
/// can see; the search separately considers leaving the operation out.
public protocol SequentialModel: Sendable {
    /// The model's state.
    associatedtype State: Hashable & Sendable
    /// An operation's arguments.
    associatedtype Input: Sendable & Hashable
    /// An operation's observed result.
    associatedtype Output: Sendable & Hashable

    /// The state before any operation.
    var initialState: State { get }

    /// The state after `input` executes in `state` and returns `output`, or
    /// `nil` if that output is impossible in that state.
    /// - Parameters:
    ///   - state: the state before the operation.
    ///   - input: the operation's arguments.
    ///   - output: the observed result; `nil` when unknown.
    /// - Returns: the next state, or `nil`.
    func step(_ state: State, _ input: Input, _ output: Output?) -> State?

    /// Whether `input` returning `output` leaves the state unchanged in
    /// every state where it is possible (a read). The search uses this to
    /// prune: such an operation may as well be placed as soon as it can be.
    /// Return `false` when unsure; that is always correct, only slower.
    func isReadOnly(input: Input, output: Output?) -> Bool

    /// A readable account of a state, for reports.
    func describe(state: State) -> String

    /// A readable account of an operation, such as `get(x) → "1"`.
    func describe(input: Input, output: Output?) -> String

    /// Why the model rejects `input` returning `output` in `state`, in one
    /// sentence, for the account of a failed check.
    func describeRejection(input: Input, output: Output?, state: State) -> String
}

extension SequentialModel {
    public func isReadOnly(input: Input, output: Output?) -> Bool { false }

    public func describeRejection(input: Input, output: Output?, state: State) -> String {
        "\(describe(input: input, output: output)) is impossible when the state is \(describe(state: state))"
    }
}
