import ConcordChecker
import ConcordTransactions
import Testing
@testable import ConcordLab

@Suite("Transaction checkers")
struct TransactionCheckerTests {
    typealias ID = Transactions.TransactionID

    @Test func atomicityHoldsWhenEveryPartyAgrees() {
        var checker = AtomicCommitCheck()
        for party in 0...3 { checker.observe(.init(party: party, transaction: 1, decision: .commit)) }
        checker.observe(.init(party: 2, transaction: 2, decision: .abort))
        #expect(checker.violations.isEmpty)
        #expect(checker.counts.committed == 1 && checker.counts.aborted == 1)
    }

    @Test func aTransactionCommittedAtOnePartyAndAbortedAtAnotherIsAViolation() {
        var checker = AtomicCommitCheck()
        checker.observe(.init(party: 1, transaction: 4, decision: .commit))
        checker.observe(.init(party: 2, transaction: 4, decision: .abort))
        #expect(checker.violations == ["t4 committed at n1 but aborted at n2"])
    }

    @Test func aPartyChangingItsDecisionIsAViolation() {
        var checker = AtomicCommitCheck()
        checker.observe(.init(party: 3, transaction: 5, decision: .abort))
        checker.observe(.init(party: 3, transaction: 5, decision: .commit))
        #expect(checker.violations == ["n3 decided t5 both abort and commit"])
    }

    static let steps = Transactions.SagaExamples.travel(flight: 1, hotel: 2, car: 3)
    static func key(_ saga: UInt64, _ step: Int) -> Transactions.IdempotencyKey { .init(saga: ID(saga), step: step) }

    @Test func aCompletedSagaWithEveryStepInEffectPasses() {
        let checker = TransactionChecks.sagaCheck(
            orchestratorLog: [.started(ID(1), steps: Self.steps), .stepPerformed(ID(1), step: 0),
                              .stepPerformed(ID(1), step: 1), .stepPerformed(ID(1), step: 2)],
            serviceLogs: [1: [.applied(Self.key(1, 0), action: "book-flight")],
                          2: [.applied(Self.key(1, 1), action: "book-hotel")],
                          3: [.applied(Self.key(1, 2), action: "rent-car")]])
        let summary = checker.check()
        #expect(summary.problems.isEmpty)
        #expect(summary.completed == 1)
    }

    @Test func anEffectAppliedTwiceIsFound() {
        let checker = TransactionChecks.sagaCheck(
            orchestratorLog: [.started(ID(1), steps: Self.steps), .stepPerformed(ID(1), step: 0),
                              .stepPerformed(ID(1), step: 1), .stepPerformed(ID(1), step: 2)],
            serviceLogs: [1: [.applied(Self.key(1, 0), action: "book-flight"), .applied(Self.key(1, 0), action: "book-flight")],
                          2: [.applied(Self.key(1, 1), action: "book-hotel")],
                          3: [.applied(Self.key(1, 2), action: "rent-car")]])
        #expect(checker.check().problems == ["n1 applied t1#0 2 times"])
    }

    @Test func aCompensatedSagaWithAStepStillInEffectIsFound() {
        let checker = TransactionChecks.sagaCheck(
            orchestratorLog: [.started(ID(1), steps: Self.steps), .stepPerformed(ID(1), step: 0),
                              .compensating(ID(1), fromStep: 0), .stepCompensated(ID(1), step: 0)],
            serviceLogs: [1: [.applied(Self.key(1, 0), action: "book-flight"), .compensated(Self.key(1, 0), undid: true)],
                          2: [.applied(Self.key(1, 1), action: "book-hotel")],
                          3: []])
        #expect(checker.check().problems == ["saga t1 compensated but step 1 is still in effect"])
    }

    @Test func anUnfinishedSagaAndAnEffectOfAnUnknownSagaAreFound() {
        let checker = TransactionChecks.sagaCheck(
            orchestratorLog: [.started(ID(1), steps: Self.steps)],
            serviceLogs: [1: [.applied(Self.key(2, 0), action: "book-flight")], 2: [], 3: []])
        #expect(checker.check().problems == ["saga t1 neither completed nor compensated",
                                             "step t2#0 is in effect for saga t2, which the orchestrator does not know"])
    }
}
