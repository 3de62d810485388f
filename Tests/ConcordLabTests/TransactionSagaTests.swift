import Testing
@testable import ConcordLab

@Suite("Sagas in simulation")
struct TransactionSagaTests {
    static let sweepSeeds: Range<UInt64> = 0..<30

    static func failures(_ scenario: Scenario, seeds: Range<UInt64> = sweepSeeds, bug: String? = nil) -> [(UInt64, String)] {
        seeds.compactMap { seed in
            let result = scenario.run(ScenarioOptions(seed: seed, bug: bug))
            return result.passed ? nil : (seed, result.verdict)
        }
    }

    @Test(arguments: [TransactionScenarios.sagaCheckout, TransactionScenarios.sagaTravel])
    func everySagaEndsCompletedOrCompensatedWithEachEffectOnce(_ scenario: Scenario) {
        let failures = Self.failures(scenario)
        #expect(failures.isEmpty, "\(failures.prefix(3)); replay: concord sim \(scenario.name) --seed <seed> --timeline")
    }

    @Test(arguments: ["action-before-log", "no-idempotency"])
    func theSagaSweepCatchesAReintroducedBug(_ bug: String) {
        let failures = Self.failures(TransactionScenarios.sagaCheckout, bug: bug)
        #expect(!failures.isEmpty, "the sweep missed the '\(bug)' bug in \(Self.sweepSeeds.count) seeds")
        print("saga bug \(bug): caught by \(failures.count) of \(Self.sweepSeeds.count) seeds, first \(failures.first.map { "\($0.0): \($0.1)" } ?? "-")")
    }

    @Test func aChoreographedCheckoutEndsCompletedOrCompensatedUnderFaults() {
        let failures = Self.failures(TransactionScenarios.sagaChoreography, seeds: 1..<31)
        #expect(failures.isEmpty, "\(failures.prefix(3)); replay: concord sim saga-choreography --seed <seed>")
    }

    @Test func theChoreographySweepCatchesAnAcknowledgementBeforeTheLog() {
        let failures = Self.failures(TransactionScenarios.sagaChoreography, seeds: 1..<41, bug: "ack-before-log")
        #expect(!failures.isEmpty, "the sweep missed the 'ack-before-log' bug in 40 seeds")
    }

    @Test func aSagaRunShowsBothOutcomes() {
        let verdicts = (0..<5).map { TransactionScenarios.sagaTravel.run(ScenarioOptions(seed: $0)).verdict }
        #expect(verdicts.contains { !$0.contains(" 0 completed") })
        #expect(verdicts.contains { !$0.contains(" 0 compensated") })
    }
}
