/// How much work a check may do before it gives up with an `unknown` verdict.
///
/// The step budget is deterministic: the same history and budget always give
/// the same verdict, so tests and simulations use it alone. The deadline is
/// for interactive use (`concord check --timeout`): it reads the continuous
/// clock every ``deadlinePollSteps`` steps, so a verdict reached under a
/// deadline may depend on the machine.
public struct CheckBudget: Sendable, Hashable {
    /// The most search steps one partition (one key) may take. A step is one
    /// attempt to place, or to take back, an operation.
    public var searchStepsMax: Int
    /// The most memory one partition's configuration cache may hold, in
    /// bytes; beyond it the check reports `unknown`. The step budget alone
    /// does not bound memory: each cached configuration holds a bitset as
    /// long as the partition.
    public var cacheBytesMax: Int
    /// A moment after which the check stops and reports `unknown`.
    public var deadline: ContinuousClock.Instant?

    /// How many steps pass between two readings of the clock when a deadline
    /// is set.
    public static let deadlinePollSteps = 4096

    /// The default step budget per partition: about a second of search on a
    /// current machine.
    public static let searchStepsMaxDefault = 20_000_000

    /// The default cache limit per partition: 1 GiB.
    public static let cacheBytesMaxDefault = 1 << 30

    /// The default budget: ``searchStepsMaxDefault`` steps, no deadline.
    public static let `default` = CheckBudget()

    /// A budget of `steps` search steps per partition and no deadline.
    public static func steps(_ steps: Int) -> CheckBudget {
        CheckBudget(searchStepsMax: steps)
    }

    /// Creates a budget.
    /// - Parameters:
    ///   - searchStepsMax: the most search steps per partition; positive.
    ///   - cacheBytesMax: the most memory per partition's cache, in bytes.
    ///   - deadline: an optional moment after which to stop.
    public init(
        searchStepsMax: Int = CheckBudget.searchStepsMaxDefault,
        cacheBytesMax: Int = CheckBudget.cacheBytesMaxDefault,
        deadline: ContinuousClock.Instant? = nil
    ) {
        precondition(searchStepsMax > 0, "a check budget needs at least one step")
        precondition(cacheBytesMax > 0, "a check budget needs some memory")
        self.searchStepsMax = searchStepsMax
        self.cacheBytesMax = cacheBytesMax
        self.deadline = deadline
    }
}
