import Testing
@testable import ConcordRaft

@Suite struct RaftLogTests {
    func log(_ terms: [UInt64], commit: UInt64 = 0) -> RaftLog {
        RaftLog(restoring: TestCluster.durable(voters: [1], terms: terms, term: terms.last ?? 0, commit: commit), toleratesViolations: false)
    }

    func entries(from index: UInt64, terms: [UInt64]) -> [LogEntry] {
        terms.enumerated().map { LogEntry(index: index + UInt64($0.offset), term: $0.element) }
    }

    @Test func appendAfterAMatchingEntryTruncatesOnlyAConflict() {
        var log = log([1, 1, 2, 2])
        // Entries that are already present change nothing.
        let present = log.maybeAppend(previousIndex: 1, previousTerm: 1, leaderCommit: 0, entries: entries(from: 2, terms: [1, 2]))
        #expect(present == 3)
        #expect(log.lastIndex == 4)
        // A conflict at 3 replaces the suffix.
        let conflicting = log.maybeAppend(previousIndex: 2, previousTerm: 1, leaderCommit: 3, entries: entries(from: 3, terms: [3]))
        #expect(conflicting == 3)
        #expect(log.lastIndex == 3 && log.term(at: 3) == 3 && log.committed == 3)
        // A missing previous entry is refused.
        let missing = log.maybeAppend(previousIndex: 5, previousTerm: 3, leaderCommit: 3, entries: [])
        #expect(missing == nil)
    }

    @Test func commitIsCappedAtTheLastNewEntry() {
        var log = log([1, 1, 1, 1])
        _ = log.maybeAppend(previousIndex: 1, previousTerm: 1, leaderCommit: 9, entries: [])
        #expect(log.committed == 1, "only entries known to match the leader's may commit")
    }

    @Test func conflictHintSkipsAWholeTerm() {
        let log = log([1, 1, 2, 2, 2, 3])
        let hint = log.conflictHint(atOrBelow: 6, term: 1)
        #expect(hint.index == 2 && hint.term == 1)
        #expect(log.conflictHint(atOrBelow: 9, term: 5).index == 6)
    }

    @Test func entriesAreBoundedByCountAndBytesButAlwaysOne() {
        var state = TestCluster.durable(voters: [1], terms: [1, 1, 1], term: 1)
        state.entries = state.entries.map { var entry = $0; entry.data = [UInt8](repeating: 0, count: 10); return entry }
        let log = RaftLog(restoring: state, toleratesViolations: false)
        #expect(log.entries(from: 1, countMax: 2, bytesMax: 100)?.count == 2)
        #expect(log.entries(from: 1, countMax: 5, bytesMax: 15)?.count == 1)
        #expect(log.entries(from: 1, countMax: 5, bytesMax: 1)?.count == 1)
        #expect(log.entries(from: 4, countMax: 5, bytesMax: 100) == [])
    }

    @Test func compactionKeepsTermsAndRefusesCompactedReads() {
        var log = log([1, 2, 3, 4], commit: 4)
        log.applied = 3
        log.compact(upTo: 3)
        #expect(log.snapshotIndex == 3 && log.term(at: 3) == 3 && log.term(at: 2) == nil)
        #expect(log.entries(from: 2, countMax: 9, bytesMax: 99) == nil)
        #expect(log.entries(from: 4, countMax: 9, bytesMax: 99)?.map(\.term) == [4])
    }

    @Test func onlyDurableCommittedEntriesAreApplied() {
        var log = log([1])
        _ = log.maybeAppend(previousIndex: 1, previousTerm: 1, leaderCommit: 3, entries: entries(from: 2, terms: [1, 1]))
        #expect(log.committed == 3)
        let first = log.takeCommittedEntries(upTo: log.committed, bytesMax: 1000)
        #expect(first.map(\.index) == [1])
        _ = log.takeUnpersisted()
        log.persisted(upTo: 3, term: 1)
        let rest = log.takeCommittedEntries(upTo: log.committed, bytesMax: 1000)
        #expect(rest.map(\.index) == [2, 3])
    }

    @Test func aPersistOfEntriesSinceReplacedDoesNotCount() {
        var log = log([1])
        _ = log.maybeAppend(previousIndex: 1, previousTerm: 1, leaderCommit: 0, entries: entries(from: 2, terms: [1, 1]))
        _ = log.takeUnpersisted()  // [2, 3] of term 1 handed out
        _ = log.maybeAppend(previousIndex: 1, previousTerm: 1, leaderCommit: 0, entries: entries(from: 2, terms: [2, 2]))
        log.persisted(upTo: 3, term: 1)
        #expect(log.persisted == 1)
    }
}

@Suite struct ConfigurationChangeTests {
    let three = ConfigurationState(voters: [1, 2, 3])

    @Test func encodingRoundTripsAndRejectsGarbage() throws {
        let change = ConfigurationChange([.init(.addVoter, 4), .init(.remove, 1)], transition: .explicit)
        #expect(try ConfigurationChange(decoding: change.encoded()) == change)
        #expect(throws: ConfigurationChangeError.malformedEncoding) { try ConfigurationChange(decoding: [1, 0, 5]) }
        #expect(throws: ConfigurationChangeError.malformedEncoding) { try ConfigurationChange(decoding: []) }
    }

    @Test func oneVoterChangeIsAppliedDirectly() throws {
        let next = try three.applying(ConfigurationChange([.init(.addVoter, 4)]))
        #expect(next.voters == [1, 2, 3, 4] && !next.isJoint)
    }

    @Test func replacingAVoterEntersAJointConfiguration() throws {
        let joint = try three.applying(ConfigurationChange([.init(.addVoter, 4), .init(.remove, 1)]))
        #expect(joint.voters == [2, 3, 4] && joint.votersOutgoing == [1, 2, 3] && joint.autoLeave)
        #expect(throws: ConfigurationChangeError.alreadyJoint) { try joint.applying(ConfigurationChange([.init(.addVoter, 5)])) }
        let left = try joint.applying(.leaveJoint)
        #expect(left.voters == [2, 3, 4] && !left.isJoint)
        #expect(throws: ConfigurationChangeError.notJoint) { try left.applying(.leaveJoint) }
    }

    @Test func demotingAVoterInAJointConfigurationWaitsForTheLeave() throws {
        let joint = try three.applying(ConfigurationChange([.init(.addLearner, 3)], transition: .explicit))
        #expect(joint.learnersNext == [3] && joint.learners.isEmpty && joint.votersOutgoing.contains(3))
        let left = try joint.applying(.leaveJoint)
        #expect(left.learners == [3] && left.voters == [1, 2])
    }

    @Test func learnersArePromoted() throws {
        let withLearner = try three.applying(ConfigurationChange([.init(.addLearner, 4)]))
        #expect(withLearner.learners == [4] && withLearner.voters == [1, 2, 3])
        let promoted = try withLearner.applying(ConfigurationChange([.init(.addVoter, 4)]))
        #expect(promoted.learners.isEmpty && promoted.voters == [1, 2, 3, 4])
    }

    @Test func removingEveryVoterIsRefused() {
        let single = ConfigurationState(voters: [1])
        #expect(throws: ConfigurationChangeError.removesAllVoters) { try single.applying(ConfigurationChange([.init(.remove, 1)])) }
        #expect(throws: ConfigurationChangeError.invalidReplica) { try single.applying(ConfigurationChange([.init(.addVoter, 0)])) }
    }
}
