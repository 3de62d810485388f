import Testing
import ConcordChecker

@Suite struct SessionGuaranteeTests {
    @Test func readingAnOlderVersionAfterYourOwnWriteViolatesReadYourWrites() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .cas, "x", "2", expected: "1")
        script.run(1, .get, "x", read: "1")
        let report = try checkSessionGuarantees(try script.history())
        let violation = try #require(report.violations.first)
        #expect(report.violations.count == 1)
        #expect(violation.guarantees == [.readYourWrites])
        #expect(violation.key == "x")
        #expect(violation.operations == [1, 2])
        #expect(violation.explanation.contains("read-your-writes"))
        #expect(try checkSessionGuarantees(try script.history(), guarantees: [.monotonicReads]).holds)
    }

    @Test func readingAbsenceAfterYourOwnWriteViolatesReadYourWrites() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .get, "x", read: nil)
        let report = try checkSessionGuarantees(try script.history())
        #expect(report.violates(.readYourWrites))
        #expect(report.violations.first?.operations == [0, 1])
    }

    @Test func goingBackToAnOlderVersionViolatesMonotonicReads() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .cas, "x", "2", expected: "1")
        script.run(1, .get, "x", read: "2")
        script.run(1, .get, "x", read: "1")
        let report = try checkSessionGuarantees(try script.history())
        #expect(report.violations.map(\.guarantees) == [[.monotonicReads]])
        #expect(report.violations.first?.operations == [1, 2, 3])
        #expect(try checkSessionGuarantees(try script.history(), guarantees: [.readYourWrites, .writesFollowReads]).holds)
    }

    @Test func twoReadersSeeingTwoWritesInOppositeOrdersViolateMonotonicReads() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .put, "x", "2")
        script.run(2, .get, "x", read: "1")
        script.run(2, .get, "x", read: "2")
        script.run(3, .get, "x", read: "2")
        script.run(3, .get, "x", read: "1")
        #expect(try checkSessionGuarantees(try script.history()).violates(.monotonicReads))
    }

    @Test func seeingALaterWriteButNotAnEarlierOneOfTheSameSessionViolatesMonotonicWritesWithMonotonicReads() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .put, "y", "1")
        script.run(1, .get, "y", read: "1")
        script.run(1, .get, "x", read: nil)
        let report = try checkSessionGuarantees(try script.history())
        #expect(report.violations.map(\.guarantees) == [[.monotonicReads, .monotonicWrites]])
        #expect(report.violations.first?.operations == [0, 1, 2, 3])
        #expect(report.violations.first?.key == "x")
        // Without monotonic reads the observer may read x from a server that
        // has neither write: monotonic writes alone allows it.
        #expect(try checkSessionGuarantees(try script.history(), guarantees: [.monotonicWrites, .readYourWrites]).holds)
    }

    @Test func seeingAWriteButNotWhatItsWriterHadReadViolatesWritesFollowReadsWithMonotonicReads() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .get, "x", read: "1")
        script.run(1, .put, "y", "1")
        script.run(2, .get, "y", read: "1")
        script.run(2, .get, "x", read: nil)
        let report = try checkSessionGuarantees(try script.history())
        #expect(report.violations.map(\.guarantees) == [[.monotonicReads, .writesFollowReads]])
        #expect(report.violations.first?.operations == [0, 1, 2, 3, 4])
        #expect(try checkSessionGuarantees(try script.history(), guarantees: [.writesFollowReads]).holds)
    }

    @Test func overwritingAValueThatCouldOnlyExistAfterYourWriteViolatesWritesFollowReads() throws {
        var script = HistoryScript()
        // "1" replaced "2", yet process 1 read "1" before writing "2".
        script.run(0, .cas, "x", "1", expected: "2")
        script.run(1, .get, "x", read: "1")
        script.run(1, .put, "x", "2")
        let report = try checkSessionGuarantees(try script.history())
        #expect(report.violations.map(\.guarantees) == [[.writesFollowReads]])
        #expect(report.violations.first?.operations == [0, 1, 2])
        #expect(try checkSessionGuarantees(try script.history(), guarantees: [.readYourWrites, .monotonicReads, .monotonicWrites]).holds)
    }

    @Test func historiesFromACorrectStoreSatisfyEveryGuarantee() throws {
        for seed in UInt64(0)..<60 {
            let shape = RandomKVHistory.Shape(operations: 150, keys: 1 + Int(seed % 4), processes: 2 + Int(seed % 5), infoPerMille: 30)
            let report = try checkSessionGuarantees(try History(RandomKVHistory.events(shape, seed: seed)))
            #expect(report.holds, "seed \(seed): \(report.violations.first?.explanation ?? "")")
        }
    }

    @Test func duplicateWrittenValuesAreRejected() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .put, "x", "1")
        #expect(throws: SessionCheckError.duplicateWrite(key: "x", value: "1", operations: [0, 1])) {
            try checkSessionGuarantees(try script.history())
        }
    }

    @Test func readsOfAbsenceAreIgnoredOnKeysThatAreDeleted() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .delete, "x")
        script.run(0, .get, "x", read: nil)
        #expect(try checkSessionGuarantees(try script.history()).holds)
    }
}

@Suite struct SequentialConsistencyTests {
    @Test func staleReadIsSequentiallyConsistentThoughNotLinearizable() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .get, "x", read: nil)
        let history = try script.history()
        #expect(checkSequentialConsistency(history, budget: .steps(10_000)) == .sequentiallyConsistent(order: [1, 0]))
        #expect(!checkLinearizability(history, budget: .steps(10_000)).isLinearizable)
    }

    @Test func twoReadersSeeingTwoWritesInOppositeOrdersAreNotSequentiallyConsistent() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(1, .put, "x", "2")
        script.run(2, .get, "x", read: "1")
        script.run(2, .get, "x", read: "2")
        script.run(3, .get, "x", read: "2")
        script.run(3, .get, "x", read: "1")
        guard case .notSequentiallyConsistent(_, let explanation) = checkSequentialConsistency(try script.history(), budget: .steps(10_000)) else {
            Issue.record("expected a violation")
            return
        }
        #expect(explanation.contains("no process can go on"))
    }

    @Test func processOrderIsRespectedAcrossKeys() throws {
        var script = HistoryScript()
        script.run(0, .put, "x", "1")
        script.run(0, .put, "y", "1")
        script.run(1, .get, "y", read: "1")
        script.run(1, .get, "x", read: nil)
        // Each key alone is fine; together the order of process 0 rules it out.
        #expect(!checkSequentialConsistency(try script.history(), budget: .steps(10_000)).isSequentiallyConsistent)
    }

    @Test func indeterminateOperationsMayBeLeftOut() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.info(0)
        script.run(1, .get, "x", read: nil)
        script.run(1, .get, "x", read: nil)
        #expect(checkSequentialConsistency(try script.history(), budget: .steps(10_000)) == .sequentiallyConsistent(order: [1, 2]))
    }

    @Test func largeHistoriesAreUnknownWithAClearReason() throws {
        let shape = RandomKVHistory.Shape(operations: Checker.sequentialConsistencyOperationsMax + 50, keys: 2, processes: 3, infoPerMille: 0)
        let verdict = checkSequentialConsistency(try History(RandomKVHistory.events(shape, seed: 3)), budget: .steps(10_000))
        guard case .unknown(let reason) = verdict else {
            Issue.record("expected unknown, got \(verdict)")
            return
        }
        #expect(reason.contains("at most \(Checker.sequentialConsistencyOperationsMax)"))
    }

    @Test func historiesFromACorrectStoreAreSequentiallyConsistent() throws {
        for seed in UInt64(0)..<40 {
            let shape = RandomKVHistory.Shape(operations: 40, keys: 2, processes: 3, infoPerMille: 50)
            let verdict = checkSequentialConsistency(try History(RandomKVHistory.events(shape, seed: seed)), budget: .steps(1_000_000))
            #expect(verdict.isSequentiallyConsistent, "seed \(seed): \(verdict)")
        }
    }
}
