extension Transactions {
    /// The timing of a saga orchestrator's retries, in ticks.
    public struct SagaSettings: Hashable, Sendable {
        /// The wait before the second attempt; it doubles with each attempt.
        public var backoffBaseTicks: Int
        /// The longest wait between attempts.
        public var backoffMaxTicks: Int
        /// How long one compensation attempt may take before it is resent.
        public var compensationTimeoutTicks: Int

        /// Creates settings.
        public init(backoffBaseTicks: Int = 2, backoffMaxTicks: Int = 32, compensationTimeoutTicks: Int = 20) {
            precondition(backoffBaseTicks >= 1 && backoffMaxTicks >= backoffBaseTicks && compensationTimeoutTicks >= 1,
                         "saga intervals must be at least one tick, and the maximum backoff at least the base")
            self.backoffBaseTicks = backoffBaseTicks
            self.backoffMaxTicks = backoffMaxTicks
            self.compensationTimeoutTicks = compensationTimeoutTicks
        }

        /// The wait after failed attempt `attempt` (1 for the first).
        public func backoffTicks(afterAttempt attempt: Int) -> Int {
            let shift = min(max(attempt - 1, 0), 30)
            return min(backoffBaseTicks << shift, backoffMaxTicks)
        }
    }

    /// A record in the orchestrator's durable saga log.
    public enum SagaRecord: Hashable, Sendable {
        /// A saga began; forced before its first action is sent.
        case started(TransactionID, steps: [SagaStep])
        /// A step's action is done.
        case stepPerformed(TransactionID, step: Int)
        /// The saga gave up going forward; compensation starts at `fromStep`
        /// and goes down to step 0.
        case compensating(TransactionID, fromStep: Int)
        /// A step is compensated.
        case stepCompensated(TransactionID, step: Int)
    }

    /// Where a saga is.
    public enum SagaPhase: Hashable, Sendable {
        /// Performing the action of `step`.
        case forward(step: Int)
        /// Compensating `step` (going down to 0).
        case compensating(step: Int)
        /// Every action is done.
        case completed
        /// Every performed action is compensated.
        case compensated
    }

    /// A saga orchestrator (Garcia-Molina and Salem, "Sagas", 1987): runs
    /// each saga's steps in order and, when a step fails for good,
    /// compensates the steps already done in reverse order.
    ///
    /// - A step is retried with exponential backoff up to its attempt limit;
    ///   every attempt carries the step's ``IdempotencyKey``, so a service
    ///   applies the action at most once however often it is asked.
    /// - A rejection (the service says the action did not and will not
    ///   happen) starts compensation at the step before; running out of
    ///   attempts starts it at the failed step itself, whose outcome is unknown.
    /// - Every transition is logged before the message it causes is sent. A
    ///   recovered orchestrator rebuilds each saga from the log and resends
    ///   the pending action or compensation: it resumes forward, or keeps
    ///   compensating in reverse order.
    ///
    /// ``Effects/decisions`` reports a completed saga as `commit` and a
    /// compensated one as `abort`.
    public struct SagaOrchestrator: Hashable, Sendable {
        /// The most sagas one orchestrator runs at once.
        public static let activeSagasMax = 4096
        /// The most steps in one saga.
        public static let stepsMax = 64

        /// This orchestrator's identity.
        public let id: PeerID
        /// Timing of retries.
        public let settings: SagaSettings
        /// Ticks since this incarnation started.
        public private(set) var tick = 0
        private var sagas: [TransactionID: Instance] = [:]
        /// Invariant: exactly the sagas neither completed nor compensated.
        private var active: Set<TransactionID> = []

        private struct Instance: Hashable, Sendable {
            var steps: [SagaStep]
            var phase: SagaPhase
            /// Attempts of the current action or compensation in this incarnation.
            var attempt = 0
            /// When the current attempt times out, or nil while waiting to resend.
            var replyDeadlineTick: Int?
            /// When to send the next attempt, or nil while one is outstanding.
            var resendTick: Int? = 0
        }

        /// Creates an orchestrator, or recovers one from its saga log.
        public init(id: PeerID, settings: SagaSettings = .init(), log: [SagaRecord] = []) {
            self.id = id
            self.settings = settings
            for record in log {
                switch record {
                case .started(let saga, let steps):
                    sagas[saga] = Instance(steps: steps, phase: .forward(step: 0))
                case .stepPerformed(let saga, let step):
                    guard let steps = sagas[saga]?.steps else { continue }
                    sagas[saga]!.phase = step + 1 == steps.count ? .completed : .forward(step: step + 1)
                case .compensating(let saga, let fromStep):
                    sagas[saga]?.phase = fromStep < 0 ? .compensated : .compensating(step: fromStep)
                case .stepCompensated(let saga, let step):
                    sagas[saga]?.phase = step == 0 ? .compensated : .compensating(step: step - 1)
                }
            }
            for saga in sagas.keys {
                if sagas[saga]!.phase == .completed || sagas[saga]!.phase == .compensated {
                    sagas[saga]!.resendTick = nil
                } else {
                    active.insert(saga)
                }
            }
        }

        /// Where a saga is, nil if this orchestrator never started it.
        public func phase(of saga: TransactionID) -> SagaPhase? {
            sagas[saga]?.phase
        }

        /// Sagas neither completed nor compensated.
        public var unfinishedSagas: [TransactionID] {
            active.sorted()
        }

        /// Starts a saga: logs it and, once the log is durable, sends its first action.
        ///
        /// - Throws: ``SagaError`` for an empty or oversized saga, bad step
        ///   limits, a reused identifier or too many sagas; nothing changes then.
        public mutating func start(_ saga: TransactionID, steps: [SagaStep]) throws(SagaError) -> Effects<SagaRecord, SagaMessage> {
            guard !steps.isEmpty else { throw .noSteps }
            guard steps.count <= Self.stepsMax else { throw .tooManySteps(count: steps.count, limit: Self.stepsMax) }
            for (index, step) in steps.enumerated() {
                guard (1...SagaStep.attemptsMax).contains(step.attempts),
                      (1...SagaStep.timeoutTicksMax).contains(step.timeoutTicks) else {
                    throw .badStepLimits(step: index)
                }
            }
            guard sagas[saga] == nil else { throw .duplicateSaga(saga) }
            guard active.count < Self.activeSagasMax else { throw .tooManySagas(limit: Self.activeSagasMax) }
            sagas[saga] = Instance(steps: steps, phase: .forward(step: 0), resendTick: nil)
            active.insert(saga)
            var effects = Effects<SagaRecord, SagaMessage>()
            effects.records.append(.started(saga, steps: steps))
            send(saga, into: &effects)
            return effects
        }

        /// Handles a service's reply.
        public mutating func onMessage(_ message: SagaMessage, from sender: PeerID) -> Effects<SagaRecord, SagaMessage> {
            let key = message.key
            guard let instance = sagas[key.saga], key.step < instance.steps.count,
                  instance.steps[key.step].service == sender else { return Effects() }
            var effects = Effects<SagaRecord, SagaMessage>()
            switch (message, instance.phase) {
            case (.performed, .forward(let step)) where step == key.step:
                effects.records.append(.stepPerformed(key.saga, step: step))
                if step + 1 == instance.steps.count {
                    sagas[key.saga]!.phase = .completed
                    sagas[key.saga]!.replyDeadlineTick = nil
                    active.remove(key.saga)
                    effects.decisions.append(DecisionReport(transaction: key.saga, decision: .commit))
                } else {
                    enter(.forward(step: step + 1), of: key.saga)
                    send(key.saga, into: &effects)
                }
            case (.rejected, .forward(let step)) where step == key.step:
                // The action did not happen: undo the steps before it.
                effects.append(beginCompensation(key.saga, fromStep: step - 1))
            case (.compensated, .compensating(let step)) where step == key.step:
                effects.records.append(.stepCompensated(key.saga, step: step))
                effects.append(continueCompensation(key.saga, below: step))
            default:
                // A late or repeated reply about a step the saga has left.
                break
            }
            return effects
        }

        /// Advances time by one tick: times out attempts and sends retries.
        public mutating func onTick() -> Effects<SagaRecord, SagaMessage> {
            tick += 1
            var effects = Effects<SagaRecord, SagaMessage>()
            for saga in active.sorted() {
                let instance = sagas[saga]!
                if let deadline = instance.replyDeadlineTick, deadline <= tick {
                    effects.append(onAttemptTimedOut(saga))
                } else if let resend = instance.resendTick, resend <= tick {
                    send(saga, into: &effects)
                }
            }
            return effects
        }

        private mutating func onAttemptTimedOut(_ saga: TransactionID) -> Effects<SagaRecord, SagaMessage> {
            let instance = sagas[saga]!
            sagas[saga]!.replyDeadlineTick = nil
            if case .forward(let step) = instance.phase, instance.attempt >= instance.steps[step].attempts {
                // Out of attempts; the action may or may not have happened,
                // so its own compensation is included.
                return beginCompensation(saga, fromStep: step)
            }
            sagas[saga]!.resendTick = tick + settings.backoffTicks(afterAttempt: instance.attempt)
            return Effects()
        }

        private mutating func beginCompensation(_ saga: TransactionID, fromStep: Int) -> Effects<SagaRecord, SagaMessage> {
            var effects = Effects<SagaRecord, SagaMessage>()
            effects.records.append(.compensating(saga, fromStep: fromStep))
            effects.append(continueCompensation(saga, below: fromStep + 1))
            return effects
        }

        private mutating func continueCompensation(_ saga: TransactionID, below step: Int) -> Effects<SagaRecord, SagaMessage> {
            var effects = Effects<SagaRecord, SagaMessage>()
            if step == 0 {
                sagas[saga]!.phase = .compensated
                active.remove(saga)
                sagas[saga]!.replyDeadlineTick = nil
                sagas[saga]!.resendTick = nil
                effects.decisions.append(DecisionReport(transaction: saga, decision: .abort))
            } else {
                enter(.compensating(step: step - 1), of: saga)
                send(saga, into: &effects)
            }
            return effects
        }

        private mutating func enter(_ phase: SagaPhase, of saga: TransactionID) {
            sagas[saga]!.phase = phase
            sagas[saga]!.attempt = 0
            sagas[saga]!.replyDeadlineTick = nil
            sagas[saga]!.resendTick = nil
        }

        /// Sends the current attempt of the saga's pending action or compensation.
        private mutating func send(_ saga: TransactionID, into effects: inout Effects<SagaRecord, SagaMessage>) {
            var instance = sagas[saga]!
            let message: SagaMessage
            let step: SagaStep
            let timeout: Int
            switch instance.phase {
            case .forward(let index):
                step = instance.steps[index]
                message = .perform(IdempotencyKey(saga: saga, step: index), action: step.action)
                timeout = step.timeoutTicks
            case .compensating(let index):
                step = instance.steps[index]
                message = .compensate(IdempotencyKey(saga: saga, step: index), compensation: step.compensation)
                timeout = settings.compensationTimeoutTicks
            case .completed, .compensated:
                return
            }
            instance.attempt += 1
            instance.resendTick = nil
            instance.replyDeadlineTick = tick + timeout
            sagas[saga] = instance
            // Even a resend waits for the log: the transition it repeats may
            // not be durable yet.
            effects.messagesAfterRecords.append(Envelope(to: step.service, message))
        }
    }

    /// A saga request an orchestrator refused; nothing changed.
    public enum SagaError: Error, Hashable, Sendable, CustomStringConvertible {
        /// A saga needs at least one step.
        case noSteps
        /// More steps than ``SagaOrchestrator/stepsMax``.
        case tooManySteps(count: Int, limit: Int)
        /// A step's attempts or timeout is out of range.
        case badStepLimits(step: Int)
        /// The saga identifier is already in use.
        case duplicateSaga(TransactionID)
        /// The orchestrator already runs ``SagaOrchestrator/activeSagasMax`` sagas.
        case tooManySagas(limit: Int)

        public var description: String {
            switch self {
            case .noSteps: "a saga needs at least one step"
            case .tooManySteps(let count, let limit): "\(count) steps exceed the limit of \(limit)"
            case .badStepLimits(let step): "step \(step) needs 1...\(SagaStep.attemptsMax) attempts and 1...\(SagaStep.timeoutTicksMax) ticks of timeout"
            case .duplicateSaga(let saga): "saga \(saga) is already in use"
            case .tooManySagas(let limit): "the orchestrator already runs the maximum of \(limit) sagas"
            }
        }
    }
}
