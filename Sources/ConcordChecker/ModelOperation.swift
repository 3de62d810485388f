/// An operation as the generic linearizability search sees it: the model's
/// input and output and the real-time interval in which it ran.
///
/// Positions are points of one real-time order, typically event indices of
/// the history. An operation must be linearized between its invocation and
/// completion positions. One without a completion position may be linearized
/// anywhere after its invocation, or not at all (it is indeterminate).
public struct ModelOperation<Model: SequentialModel>: Sendable {
    /// The caller's identifier, reported back in verdicts.
    public var id: Int
    /// The issuing process, for reports.
    public var process: Int
    /// The operation's arguments.
    public var input: Model.Input
    /// Its observed result; `nil` when unknown.
    public var output: Model.Output?
    /// When it was invoked.
    public var invokePosition: Int
    /// When it completed; `nil` for an indeterminate operation.
    public var completionPosition: Int?

    /// Creates an operation.
    public init(
        id: Int, process: Int, input: Model.Input, output: Model.Output?,
        invokePosition: Int, completionPosition: Int?
    ) {
        precondition(completionPosition.map { $0 >= invokePosition } ?? true, "an operation completes after its invocation")
        self.id = id
        self.process = process
        self.input = input
        self.output = output
        self.invokePosition = invokePosition
        self.completionPosition = completionPosition
    }
}
