import ConcordChecker
import Testing

@Suite struct CausalConsistencyTests {
    static func write(_ process: Int, _ key: String, _ value: String, _ outcome: CausalOperation.Outcome = .ok) -> CausalOperation {
        CausalOperation(process: process, key: key, action: .write(value: value), outcome: outcome)
    }

    static func read(_ process: Int, _ key: String, _ values: Set<String>) -> CausalOperation {
        CausalOperation(process: process, key: key, action: .read(values: values))
    }

    /// The photo-album example of COPS: Alice removes her boss, then posts;
    /// Bob sees the post, so he must see the removal too.
    @Test func aCausallyConsistentHistoryPasses() throws {
        let history = [
            Self.write(0, "acl", "friends-only"),
            Self.write(0, "album", "party-photo"),
            Self.read(1, "album", ["party-photo"]),
            Self.read(1, "acl", ["friends-only"]),
            Self.read(2, "acl", []),  // never saw anything: may see nothing
        ]
        let report = try checkCausalConsistency(history)
        #expect(report.holds, "\(report.violations.map(\.explanation))")
        #expect(report.operationsChecked == 5)
    }

    @Test func aReadThatMissesWhatItsPastWroteIsCaught() throws {
        let history = [
            Self.write(0, "acl", "friends-only"),
            Self.write(0, "album", "party-photo"),
            Self.read(1, "album", ["party-photo"]),
            Self.read(1, "acl", []),
        ]
        let report = try checkCausalConsistency(history)
        #expect(report.violations.map(\.kind) == [.causalPastMissed])
        #expect(report.violations[0].operations == [0, 3])
        #expect(report.violations[0].explanation.contains("reads from"))
    }

    @Test func concurrentWritesMayBeReadTogetherButAnOverwrittenOneMayNot() throws {
        let concurrent = [
            Self.write(0, "x", "a"),
            Self.write(1, "x", "b"),
            Self.read(2, "x", ["a", "b"]),
        ]
        #expect(try checkCausalConsistency(concurrent).holds)
        let overwritten = [
            Self.write(0, "x", "a"),
            Self.read(1, "x", ["a"]),
            Self.write(1, "x", "b"),
            Self.read(2, "x", ["b"]),
            Self.read(2, "x", ["a", "b"]),
        ]
        let report = try checkCausalConsistency(overwritten)
        #expect(report.violations.contains { $0.kind == .overwrittenValueRead })
    }

    @Test func causalityThroughAnotherKeyOrdersWritesOfTheSameKey() throws {
        // b is written after reading y, which was written after a: b
        // overwrites a even though its writer never read x.
        let history = [
            Self.write(0, "x", "a"),
            Self.write(0, "y", "1"),
            Self.read(1, "y", ["1"]),
            Self.write(1, "x", "b"),
            Self.read(2, "x", ["a", "b"]),
        ]
        let report = try checkCausalConsistency(history)
        #expect(report.violations.map(\.kind) == [.overwrittenValueRead])
    }

    @Test func thinAirAndCyclesAreCaught() throws {
        let thinAir = try checkCausalConsistency([Self.read(0, "x", ["ghost"])])
        #expect(thinAir.violations.map(\.kind) == [.thinAirRead])
        // Each process reads the other's later write before writing.
        let cyclic = [
            Self.read(0, "x", ["b"]),
            Self.write(0, "y", "a"),
            Self.read(1, "y", ["a"]),
            Self.write(1, "x", "b"),
        ]
        #expect(try checkCausalConsistency(cyclic).violations.map(\.kind) == [.cyclicCausalOrder])
    }

    @Test func aWriteOfUnknownOutcomeMayBeReadButOrdersNothingAfterIt() throws {
        let history = [
            Self.write(0, "x", "maybe", .info),
            Self.write(0, "y", "later"),
            Self.read(1, "y", ["later"]),
            Self.read(1, "x", []),
            Self.read(2, "x", ["maybe"]),
        ]
        #expect(try checkCausalConsistency(history).holds)
        let failed = [Self.write(0, "x", "never", .fail), Self.read(1, "x", ["never"])]
        #expect(try checkCausalConsistency(failed).violations.map(\.kind) == [.thinAirRead])
    }

    @Test func repeatedValuesAreRefused() {
        #expect(throws: CausalCheckError.duplicateWrite(key: "x", value: "a", operations: [0, 1])) {
            try checkCausalConsistency([Self.write(0, "x", "a"), Self.write(1, "x", "a")])
        }
    }
}
