import ConcordChecker
import ConcordTransactions

/// The transaction scenarios' records, translated into the plain values
/// ConcordChecker's transaction checks take.
enum TransactionChecks {
    /// An atomic-commit observation of a party's durable decision.
    static func observation(party: Int, _ report: Transactions.DecisionReport) -> AtomicCommitCheck.Observation {
        AtomicCommitCheck.Observation(
            party: party, transaction: report.transaction.rawValue, decision: report.decision == .commit ? .commit : .abort)
    }

    /// The saga check of an orchestrator's log and the services' logs.
    static func sagaCheck(orchestratorLog: [Transactions.SagaRecord], serviceLogs: [Int: [Transactions.SagaServiceRecord]]) -> SagaCheck {
        let orchestrator = Transactions.SagaOrchestrator(id: 0, log: orchestratorLog)
        var steps: [Transactions.TransactionID: Int] = [:]
        var compensated: [Transactions.TransactionID: [Int]] = [:]
        for record in orchestratorLog {
            switch record {
            case .started(let saga, let sagaSteps): steps[saga] = sagaSteps.count
            case .stepCompensated(let saga, let step): compensated[saga, default: []].append(step)
            default: break
            }
        }
        let sagas = steps.keys.sorted().map { saga -> SagaCheck.Saga in
            let outcome: SagaCheck.Outcome
            switch orchestrator.phase(of: saga) {
            case .completed?: outcome = .completed
            case .compensated?: outcome = .compensated
            default: outcome = .unfinished
            }
            return SagaCheck.Saga(id: saga.rawValue, steps: steps[saga]!, outcome: outcome, compensationOrder: compensated[saga] ?? [])
        }
        let logs = serviceLogs.mapValues { records in
            records.compactMap { record -> SagaCheck.ServiceRecord? in
                switch record {
                case .applied(let key, _): .applied(saga: key.saga.rawValue, step: key.step)
                case .compensated(let key, let undid): .compensated(saga: key.saga.rawValue, step: key.step, undid: undid)
                case .rejected: nil
                }
            }
        }
        return SagaCheck(sagas: sagas, serviceLogs: logs)
    }
}
