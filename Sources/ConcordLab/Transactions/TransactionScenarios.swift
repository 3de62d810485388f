/// The transaction scenarios `concord sim` runs; see docs/transactions.md.
public enum TransactionScenarios {
    /// Two-phase commit under every kind of fault; checks atomicity and that
    /// every participant decides once the coordinator is back.
    public static let twoPhase = Scenario(
        name: "2pc",
        summary: "two-phase commit under crashes, partitions, loss and clock faults; checks atomicity and termination",
        run: CommitScenarios.twoPhase)

    /// The blocking problem of two-phase commit.
    public static let twoPhaseBlocking = Scenario(
        name: "2pc-blocking",
        summary: "the coordinator crashes after everyone voted yes: participants block holding locks until it returns",
        run: CommitScenarios.twoPhaseBlocking)

    /// Three-phase commit finishing without its coordinator under crashes.
    public static let threePhase = Scenario(
        name: "3pc",
        summary: "three-phase commit under crash faults on a timely network; checks atomicity and non-blocking termination",
        run: CommitScenarios.threePhase)

    /// Three-phase commit deciding both ways under a partition.
    public static let threePhasePartition = Scenario(
        name: "3pc-partition",
        summary: "a partition splits three-phase commit: one side commits, the other aborts (passes when the split shows)",
        run: CommitScenarios.threePhasePartition)
}

extension TransactionScenarios {
    /// The e-commerce checkout saga under faults.
    public static let sagaCheckout = Scenario(
        name: "saga-checkout",
        summary: "checkout saga (order, payment, inventory, shipping) under faults: completes or compensates in reverse, each effect once",
        run: SagaScenarios.checkout)

    /// The travel booking saga under faults.
    public static let sagaTravel = Scenario(
        name: "saga-travel",
        summary: "travel saga (flight, hotel, car) under faults: completes or compensates in reverse, each effect once",
        run: SagaScenarios.travel)
}

extension TransactionScenarios {
    /// The checkout as a choreography under faults.
    public static let sagaChoreography = Scenario(
        name: "saga-choreography",
        summary: "choreographed checkout: services react to events delivered at least once; every saga completes or compensates",
        run: ChoreographyScenario.run)
}
