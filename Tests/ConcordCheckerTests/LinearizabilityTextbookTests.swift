import Testing
import ConcordChecker

@Suite struct LinearizabilityTextbookTests {
    private func verdict(_ script: HistoryScript) throws -> LinearizabilityVerdict {
        checkLinearizability(try script.history(), model: .kv, budget: .steps(100_000))
    }

    private func failure(_ script: HistoryScript) throws -> LinearizabilityFailure? {
        if case .notLinearizable(let failure) = try verdict(script) { return failure }
        return nil
    }

    @Test func staleReadAfterACompletedLaterWriteIsRejected() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .put, "x", "2")
        script.run(1, .get, "x", read: "1")
        let failure = try #require(try failure(script))
        #expect(failure.key == "x")
        #expect(failure.partialLinearization == [0, 1])
        #expect(failure.blockedOperation == 2)
        #expect(failure.explanation.contains("it read \"1\" but x holds \"2\""))
    }

    @Test func readOfTheLatestCompletedWriteIsAccepted() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .put, "x", "2")
        script.run(1, .get, "x", read: "2")
        #expect(try verdict(script) == .linearizable)
    }

    @Test func twoReadersSeeingTwoWritesInOppositeOrdersIsRejected() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.invoke(1, .put, "x", "2")
        script.run(2, .get, "x", read: "1")
        script.run(3, .get, "x", read: "2")
        script.run(2, .get, "x", read: "2")
        script.run(3, .get, "x", read: "1")
        script.ok(0)
        script.ok(1)
        #expect(try failure(script) != nil)
    }

    @Test func twoReadersSeeingTwoWritesInTheSameOrderIsAccepted() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.invoke(1, .put, "x", "2")
        script.run(2, .get, "x", read: "1")
        script.run(3, .get, "x", read: "1")
        script.run(2, .get, "x", read: "2")
        script.run(3, .get, "x", read: "2")
        script.ok(0)
        script.ok(1)
        #expect(try verdict(script) == .linearizable)
    }

    @Test func lostUpdateThroughCompareAndSetIsRejected() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "0")
        script.invoke(1, .cas, "x", "1", expected: "0")
        script.invoke(2, .cas, "x", "2", expected: "0")
        script.ok(1)
        script.ok(2)
        let failure = try #require(try failure(script))
        #expect(failure.explanation.contains("it swapped from \"0\""))
    }

    @Test func compareAndSetThatLostTheRaceAndFailedIsAccepted() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "0")
        script.invoke(1, .cas, "x", "1", expected: "0")
        script.invoke(2, .cas, "x", "2", expected: "0")
        script.ok(1)
        script.fail(2)
        script.run(3, .get, "x", read: "1")
        #expect(try verdict(script) == .linearizable)
    }

    @Test func indeterminateWriteMustBeAssumedToHaveHappenedToExplainALaterRead() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.info(0)
        script.run(1, .get, "x", read: "1")
        #expect(try verdict(script) == .linearizable)

        // The same read is unexplained if the write is known to have failed.
        var failed = HistoryScript()
        failed.invoke(0, .put, "x", "1")
        failed.fail(0)
        failed.run(1, .get, "x", read: "1")
        #expect(try failure(failed) != nil)
    }

    @Test func indeterminateWriteMustBeAssumedNotToHaveHappenedBeforeLaterReads() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.invoke(1, .put, "x", "2")
        script.info(1)
        script.run(2, .get, "x", read: "1")
        script.run(2, .get, "x", read: "1")
        #expect(try verdict(script) == .linearizable)

        // Had the write completed, those reads would be stale.
        var completed = HistoryScript()
        completed.run(0, .put, "x", "1")
        completed.run(1, .put, "x", "2")
        completed.run(2, .get, "x", read: "1")
        #expect(try failure(completed) != nil)
    }

    @Test func indeterminateWriteCannotTakeEffectBeforeItsInvocation() throws {
        var script = HistoryScript()
        script.run(1, .get, "x", read: "1")
        script.invoke(0, .put, "x", "1")
        script.info(0)
        #expect(try failure(script) != nil)
    }

    @Test func concurrentWriteAndReadMayLinearizeEitherWay() throws {
        for read in [nil, "1"] as [String?] {
            var script = HistoryScript()
            script.invoke(0, .put, "x", "1")
            script.invoke(1, .get, "x")
            script.ok(1, read)
            script.ok(0)
            #expect(try verdict(script) == .linearizable, "read \(String(describing: read))")
        }
    }

    @Test func readOfAValueNeverWrittenIsRejected() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.run(1, .get, "x", read: "7")
        script.ok(0)
        #expect(try failure(script) != nil)
    }

    @Test func deleteMakesTheKeyReadAsAbsent() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .delete, "x")
        script.run(1, .get, "x", read: nil)
        #expect(try verdict(script) == .linearizable)
        script.run(1, .get, "x", read: "1")
        #expect(try failure(script) != nil)
    }

    @Test func keysAreCheckedSeparatelyAndTheFailingKeyIsNamed() throws {
        var script = HistoryScript()
        script.run(0, .put, "a", "1")
        script.run(0, .put, "b", "1")
        script.run(1, .get, "a", read: "1")
        script.run(0, .put, "b", "2")
        script.run(1, .get, "b", read: "1")
        let analysis = analyzeLinearizability(try script.history(), budget: .steps(10_000))
        guard case .notLinearizable(let failure) = analysis.verdict else {
            Issue.record("expected a failure, got \(analysis.verdict)")
            return
        }
        #expect(failure.key == "b")
        #expect(analysis.partitions.map(\.key) == ["a", "b"])
        #expect(analysis.partitions[0].linearization == [0, 2])
    }

    @Test func exhaustedStepBudgetGivesUnknown() throws {
        var script = HistoryScript()
        for process in 0..<8 { script.invoke(process, .put, "x", "\(process)") }
        for process in 0..<8 { script.ok(process) }
        script.run(9, .get, "x", read: "never")
        guard case .unknown(let reason) = checkLinearizability(try script.history(), budget: .steps(5)) else {
            Issue.record("expected unknown")
            return
        }
        #expect(reason.contains("5 search steps"))
    }

    @Test func cacheOutgrowingItsMemoryLimitGivesUnknown() throws {
        let shape = RandomKVHistory.Shape(operations: 200, keys: 1, processes: 8)
        let history = try History(RandomKVHistory.events(shape, seed: 5))
        let verdict = checkLinearizability(history, budget: CheckBudget(searchStepsMax: 1_000_000, cacheBytesMax: 8_000))
        guard case .unknown(let reason) = verdict else {
            Issue.record("expected unknown, got \(verdict)")
            return
        }
        #expect(reason.contains("limit of 8000 bytes"))
        #expect(checkLinearizability(history, budget: .steps(1_000_000)) == .linearizable)
    }

    @Test func linearizationFoundRespectsRealTimeAndTheModel() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.invoke(1, .put, "x", "2")
        script.ok(0)
        script.ok(1)
        script.run(2, .get, "x", read: "1")
        let analysis = analyzeLinearizability(try script.history(), budget: .steps(10_000))
        #expect(analysis.verdict == .linearizable)
        #expect(analysis.linearization(of: "x") == [1, 0, 2])
    }
}
