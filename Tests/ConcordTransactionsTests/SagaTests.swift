import Testing
@testable import ConcordTransactions

@Suite("Saga orchestration")
struct SagaTests {
    static let checkout = Transactions.SagaExamples.checkout(order: 1, payment: 2, inventory: 3, shipping: 4)
    static let travel = Transactions.SagaExamples.travel(flight: 1, hotel: 2, car: 3)

    @Test func aCheckoutWhoseStepsAllSucceedCompletes() throws {
        var cluster = SagaCluster(services: [1, 2, 3, 4])
        try cluster.start(1, Self.checkout)
        cluster.deliverAll()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .completed)
        #expect(cluster.outcomes == [.init(transaction: TransactionID(1), decision: .commit)])
        for service in 1...4 {
            #expect(cluster.services[service]!.effectiveKeys == [.init(saga: TransactionID(1), step: service - 1)])
        }
    }

    @Test func aDeclinedPaymentCancelsTheOrderAndTouchesNothingElse() throws {
        var cluster = SagaCluster(services: [1, 2, 3, 4])
        cluster.rejecting = [2]
        try cluster.start(1, Self.checkout)
        cluster.deliverAll()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .compensated)
        #expect(cluster.outcomes == [.init(transaction: TransactionID(1), decision: .abort)])
        #expect(cluster.serviceLogs[1]!.last == .compensated(.init(saga: TransactionID(1), step: 0), undid: true))
        #expect(cluster.serviceLogs[2]! == [.rejected(.init(saga: TransactionID(1), step: 1))])
        #expect(cluster.serviceLogs[3]!.isEmpty && cluster.serviceLogs[4]!.isEmpty)
    }

    @Test func aTravelBookingWithoutACarIsUndoneInReverseOrder() throws {
        var cluster = SagaCluster(services: [1, 2, 3])
        cluster.rejecting = [3]
        try cluster.start(7, Self.travel)
        cluster.deliverAll()
        #expect(cluster.orchestrator!.phase(of: TransactionID(7)) == .compensated)
        #expect(cluster.compensationOrder == [1, 0])
        #expect(cluster.services[1]!.effectiveKeys.isEmpty && cluster.services[2]!.effectiveKeys.isEmpty)
    }

    @Test func lostRepliesAreRetriedWithBackoffAndTheSameKeyAndApplyOnce() throws {
        var cluster = SagaCluster(services: [1, 2, 3])
        var lostReplies = 0
        cluster.lose = { from, envelope in
            guard from == 2, case .performed = envelope.message, lostReplies < 2 else { return false }
            lostReplies += 1
            return true
        }
        try cluster.start(1, Self.travel)
        cluster.deliverAll()
        // Attempt 1 times out after 20 ticks, waits 2; attempt 2 times out, waits 4.
        cluster.tick(20 + 2 + 20 + 4)
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .completed)
        #expect(cluster.sent.filter { $0 == .perform(.init(saga: TransactionID(1), step: 1), action: "book-hotel") }.count == 3)
        #expect(cluster.applications(at: 2) == [.init(saga: TransactionID(1), step: 1): 1])
    }

    @Test func aStepOutOfAttemptsIsItselfCompensatedBecauseItMayHaveHappened() throws {
        var cluster = SagaCluster(services: [1, 2, 3])
        // Every reply from the hotel is lost, though its action takes effect.
        cluster.lose = { from, envelope in
            if from == 2, case .performed = envelope.message { return true }
            return false
        }
        try cluster.start(1, Self.travel)
        cluster.tick(200)
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .compensated)
        #expect(cluster.compensationOrder == [1, 0])
        #expect(cluster.serviceLogs[2]!.last == .compensated(.init(saga: TransactionID(1), step: 1), undid: true))
        #expect(cluster.applications(at: 2).values.allSatisfy { $0 == 1 })
    }

    @Test func anActionArrivingAfterItsCompensationIsRefused() {
        var service = Transactions.SagaService(id: 2)
        let key = Transactions.IdempotencyKey(saga: TransactionID(4), step: 1)
        let compensated = service.onMessage(.compensate(key, compensation: "cancel-hotel"), from: 0)
        #expect(compensated.records == [.compensated(key, undid: false)])
        let late = service.onMessage(.perform(key, action: "book-hotel"), from: 0)
        #expect(late.records.isEmpty)
        #expect(late.messagesAfterRecords == [.init(to: 0, .rejected(key))])
        #expect(service.effectiveKeys.isEmpty)
    }

    @Test func aRepeatedActionIsAnsweredOnlyAfterItsFirstRecordIsDurable() {
        var service = Transactions.SagaService(id: 2)
        let key = Transactions.IdempotencyKey(saga: TransactionID(4), step: 1)
        let first = service.onMessage(.perform(key, action: "book-hotel"), from: 0)
        #expect(first.records == [.applied(key, action: "book-hotel")])
        // The duplicate arrives before that record is durable: its answer must wait too.
        let repeated = service.onMessage(.perform(key, action: "book-hotel"), from: 0)
        #expect(repeated.records.isEmpty && repeated.messages.isEmpty)
        #expect(repeated.messagesAfterRecords == [.init(to: 0, .performed(key))])
    }

    @Test func aRecoveredOrchestratorResumesForward() throws {
        var cluster = SagaCluster(services: [1, 2, 3, 4])
        cluster.lose = { from, _ in from == 3 }
        try cluster.start(1, Self.checkout)
        cluster.deliverAll()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .forward(step: 2))
        cluster.crashOrchestrator()
        cluster.lose = { _, _ in false }
        cluster.restartOrchestrator()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .forward(step: 2))
        cluster.tick()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .completed)
        for service in 1...4 { #expect(cluster.applications(at: service).values.allSatisfy { $0 == 1 }) }
    }

    @Test func aRecoveredOrchestratorKeepsCompensatingInReverseOrder() throws {
        var cluster = SagaCluster(services: [1, 2, 3, 4])
        cluster.rejecting = [4]
        // The inventory's compensation reply is lost: the saga is stuck compensating step 2.
        cluster.lose = { from, envelope in
            if from == 3, case .compensated = envelope.message { return true }
            return false
        }
        try cluster.start(1, Self.checkout)
        cluster.deliverAll()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .compensating(step: 2))
        cluster.crashOrchestrator()
        cluster.lose = { _, _ in false }
        cluster.restartOrchestrator()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .compensating(step: 2))
        cluster.tick()
        #expect(cluster.orchestrator!.phase(of: TransactionID(1)) == .compensated)
        #expect(cluster.compensationOrder == [2, 1, 0])
        for service in 1...3 { #expect(cluster.services[service]!.effectiveKeys.isEmpty) }
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let settings = Transactions.SagaSettings(backoffBaseTicks: 3, backoffMaxTicks: 20)
        #expect((1...5).map { settings.backoffTicks(afterAttempt: $0) } == [3, 6, 12, 20, 20])
    }

    @Test func badSagasAreRejectedAndChangeNothing() throws {
        var orchestrator = Transactions.SagaOrchestrator(id: 0)
        let before = orchestrator
        #expect(throws: Transactions.SagaError.noSteps) { _ = try orchestrator.start(TransactionID(1), steps: []) }
        let noAttempts = [Transactions.SagaStep(service: 1, action: "a", compensation: "b", attempts: 0)]
        #expect(throws: Transactions.SagaError.badStepLimits(step: 0)) {
            _ = try orchestrator.start(TransactionID(1), steps: noAttempts)
        }
        #expect(orchestrator == before)
        _ = try orchestrator.start(TransactionID(1), steps: Self.travel)
        #expect(throws: Transactions.SagaError.duplicateSaga(TransactionID(1))) {
            _ = try orchestrator.start(TransactionID(1), steps: Self.travel)
        }
    }

    @Test func theFirstActionLeavesOnlyAfterTheSagaIsLogged() throws {
        var orchestrator = Transactions.SagaOrchestrator(id: 0)
        let effects = try orchestrator.start(TransactionID(1), steps: Self.travel)
        #expect(effects.records == [.started(TransactionID(1), steps: Self.travel)])
        #expect(effects.messages.isEmpty)
        #expect(effects.messagesAfterRecords.count == 1)
    }
}

@Suite("Saga choreography")
struct ChoreographyTests {
    static let names = ["order", "payment", "inventory", "shipping"]

    @Test func aCheckoutChoreographyCompletesWhenEveryServiceSucceeds() {
        var bus = Transactions.ChoreographyBus(services: Transactions.ChoreographedService.chain(Self.names, startEvent: "checkout-requested"))
        bus.publish(.init(saga: TransactionID(1), name: "checkout-requested"))
        bus.deliverAll()
        #expect(bus.published.last == .init(saga: TransactionID(1), name: "shipping-done"))
        for name in Self.names { #expect(bus.service(named: name)!.outcome(of: TransactionID(1)) == .applied) }
    }

    @Test func aFailedReservationEmitsCompensationEventsBackToTheOrder() {
        var bus = Transactions.ChoreographyBus(services: Transactions.ChoreographedService.chain(Self.names, startEvent: "checkout-requested"))
        bus.publish(.init(saga: TransactionID(1), name: "checkout-requested"))
        bus.deliverAll { service, _ in service != "inventory" }
        #expect(bus.published.map(\.name) == ["checkout-requested", "order-done", "payment-done", "inventory-failed",
                                              "payment-compensated", "order-compensated"])
        #expect(bus.service(named: "order")!.outcome(of: TransactionID(1)) == .compensated(undid: true))
        #expect(bus.service(named: "payment")!.outcome(of: TransactionID(1)) == .compensated(undid: true))
        #expect(bus.service(named: "shipping")!.outcome(of: TransactionID(1)) == nil)
    }

    @Test func duplicatedEventsNeverMakeAServiceActTwice() {
        var bus = Transactions.ChoreographyBus(services: Transactions.ChoreographedService.chain(["flight", "hotel", "car"], startEvent: "trip-requested"))
        bus.publish(.init(saga: TransactionID(2), name: "trip-requested"))
        bus.deliverAll(duplicate: true) { service, _ in service != "car" }
        #expect(bus.published.map(\.name) == ["trip-requested", "flight-done", "hotel-done", "car-failed",
                                              "hotel-compensated", "flight-compensated"])
    }
}
