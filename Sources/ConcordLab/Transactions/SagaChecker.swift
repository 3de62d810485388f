import ConcordTransactions

/// Checks what a saga run left behind: every saga ended completed or fully
/// compensated, compensation ran in reverse order, and no step's effect was
/// applied twice.
///
/// It reads the orchestrator's saga log and every service's log, which in a
/// real service are written in the same transaction as the effects.
struct SagaChecker {
    var orchestratorLog: [Transactions.SagaRecord]
    var serviceLogs: [Int: [Transactions.SagaServiceRecord]]

    struct Summary {
        var completed = 0
        var compensated = 0
        var unfinished = 0
        var problems: [String] = []
    }

    func check() -> Summary {
        var summary = Summary()
        let orchestrator = Transactions.SagaOrchestrator(id: 0, log: orchestratorLog)
        var steps: [Transactions.TransactionID: [Transactions.SagaStep]] = [:]
        var compensatedSteps: [Transactions.TransactionID: [Int]] = [:]
        for record in orchestratorLog {
            switch record {
            case .started(let saga, let sagaSteps): steps[saga] = sagaSteps
            case .stepCompensated(let saga, let step): compensatedSteps[saga, default: []].append(step)
            default: break
            }
        }
        // Net effect per key, and keys applied more than once.
        var inEffect: [Transactions.IdempotencyKey: Int] = [:]
        for service in serviceLogs.keys.sorted() {
            var applications: [Transactions.IdempotencyKey: Int] = [:]
            for record in serviceLogs[service]! {
                switch record {
                case .applied(let key, _):
                    applications[key, default: 0] += 1
                    inEffect[key] = service
                case .compensated(let key, undid: true):
                    inEffect[key] = nil
                default:
                    break
                }
            }
            for (key, count) in applications.sorted(by: { $0.key < $1.key }) where count > 1 {
                summary.problems.append("n\(service) applied \(key) \(count) times")
            }
        }
        for saga in steps.keys.sorted() {
            let sagaSteps = steps[saga]!
            let keys = sagaSteps.indices.map { Transactions.IdempotencyKey(saga: saga, step: $0) }
            switch orchestrator.phase(of: saga) {
            case .completed?:
                summary.completed += 1
                for key in keys where inEffect[key] == nil {
                    summary.problems.append("saga \(saga) completed but step \(key.step) is not in effect")
                }
            case .compensated?:
                summary.compensated += 1
                for key in keys where inEffect[key] != nil {
                    summary.problems.append("saga \(saga) compensated but step \(key.step) is still in effect")
                }
                let order = compensatedSteps[saga] ?? []
                if order != order.sorted(by: >) {
                    summary.problems.append("saga \(saga) compensated out of order: \(order)")
                }
            default:
                summary.unfinished += 1
                summary.problems.append("saga \(saga) neither completed nor compensated")
            }
        }
        for key in inEffect.keys.sorted() where steps[key.saga] == nil {
            summary.problems.append("step \(key) is in effect for saga \(key.saga), which the orchestrator does not know")
        }
        return summary
    }
}
