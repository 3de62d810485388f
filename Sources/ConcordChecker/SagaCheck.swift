/// Checks what a saga run left behind: every saga ended completed or fully
/// compensated, compensation ran in reverse order, and no step's effect was
/// applied twice.
///
/// It reads what the orchestrator decided for each saga and every
/// service's log of effects (which a real service writes in the same
/// transaction as the effects), as plain values.
public struct SagaCheck: Sendable {
    /// How the orchestrator says a saga ended.
    public enum Outcome: Sendable, Hashable {
        case completed
        case compensated
        case unfinished
    }

    /// One saga as the orchestrator recorded it.
    public struct Saga: Sendable, Hashable {
        /// The saga (shown as `t<number>`).
        public var id: UInt64
        /// How many steps it has.
        public var steps: Int
        /// How it ended.
        public var outcome: Outcome
        /// The steps compensated, in the order they were.
        public var compensationOrder: [Int]

        public init(id: UInt64, steps: Int, outcome: Outcome, compensationOrder: [Int]) {
            self.id = id
            self.steps = steps
            self.outcome = outcome
            self.compensationOrder = compensationOrder
        }
    }

    /// One record of a service's log.
    public enum ServiceRecord: Sendable, Hashable {
        /// The service applied step `step` of saga `saga`.
        case applied(saga: UInt64, step: Int)
        /// The service compensated it (`undid`: an effect was in place).
        case compensated(saga: UInt64, step: Int, undid: Bool)
    }

    /// What the check found.
    public struct Summary: Sendable, Hashable {
        public var completed = 0
        public var compensated = 0
        public var unfinished = 0
        public var problems: [String] = []
    }

    public var sagas: [Saga]
    public var serviceLogs: [Int: [ServiceRecord]]

    public init(sagas: [Saga], serviceLogs: [Int: [ServiceRecord]]) {
        self.sagas = sagas
        self.serviceLogs = serviceLogs
    }

    private struct StepKey: Hashable, Comparable, CustomStringConvertible {
        var saga: UInt64
        var step: Int
        static func < (left: StepKey, right: StepKey) -> Bool { (left.saga, left.step) < (right.saga, right.step) }
        var description: String { "t\(saga)#\(step)" }
    }

    public func check() -> Summary {
        var summary = Summary()
        // Net effect per step, and steps applied more than once.
        var inEffect: [StepKey: Int] = [:]
        for service in serviceLogs.keys.sorted() {
            var applications: [StepKey: Int] = [:]
            for record in serviceLogs[service]! {
                switch record {
                case .applied(let saga, let step):
                    let key = StepKey(saga: saga, step: step)
                    applications[key, default: 0] += 1
                    inEffect[key] = service
                case .compensated(let saga, let step, undid: true):
                    inEffect[StepKey(saga: saga, step: step)] = nil
                case .compensated:
                    break
                }
            }
            for (key, count) in applications.sorted(by: { $0.key < $1.key }) where count > 1 {
                summary.problems.append("n\(service) applied \(key) \(count) times")
            }
        }
        let known = Set(sagas.map(\.id))
        for saga in sagas.sorted(by: { $0.id < $1.id }) {
            let keys = (0..<saga.steps).map { StepKey(saga: saga.id, step: $0) }
            switch saga.outcome {
            case .completed:
                summary.completed += 1
                for key in keys where inEffect[key] == nil {
                    summary.problems.append("saga t\(saga.id) completed but step \(key.step) is not in effect")
                }
            case .compensated:
                summary.compensated += 1
                for key in keys where inEffect[key] != nil {
                    summary.problems.append("saga t\(saga.id) compensated but step \(key.step) is still in effect")
                }
                if saga.compensationOrder != saga.compensationOrder.sorted(by: >) {
                    summary.problems.append("saga t\(saga.id) compensated out of order: \(saga.compensationOrder)")
                }
            case .unfinished:
                summary.unfinished += 1
                summary.problems.append("saga t\(saga.id) neither completed nor compensated")
            }
        }
        for key in inEffect.keys.sorted() where !known.contains(key.saga) {
            summary.problems.append("step \(key) is in effect for saga t\(key.saga), which the orchestrator does not know")
        }
        return summary
    }
}
