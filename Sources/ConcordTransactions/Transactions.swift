/// The `Transactions` namespace of Concord: distributed transactions as pure
/// protocol cores.
///
/// - Two-phase commit: ``TwoPhaseCoordinator`` and ``TwoPhaseParticipant``.
/// - Three-phase commit: ``ThreePhaseCoordinator`` and ``ThreePhaseParticipant``.
/// - Sagas: ``SagaOrchestrator`` (orchestration) and ``ChoreographyBus``
///   with ``ChoreographedService`` (choreography).
///
/// Every core is a value type that changes only through its `on…` handlers
/// and reports what it wants done as an ``Effects`` value. Time arrives as
/// ticks; there is no I/O, wall clock or hidden randomness inside a core.
/// See docs/transactions.md for the guarantees and the known weaknesses.
public enum Transactions {}
