import Testing
@testable import ConcordRaft

@Suite struct QuorumTests {
    @Test func majorityCommittedIndexIsTheValueAMajorityReached() {
        let quorum = MajorityQuorum([1, 2, 3, 4, 5])
        let matches: [MemberID: UInt64] = [1: 10, 2: 8, 3: 6, 4: 2]
        #expect(quorum.committedIndex { matches[$0] } == 6)
        #expect(MajorityQuorum([1, 2]).committedIndex { [1: 5, 2: 3][$0] } == 3)
        #expect(MajorityQuorum([1]).committedIndex { _ in 7 } == 7)
    }

    @Test func majorityVotesAreWonLostOrPending() {
        let quorum = MajorityQuorum([1, 2, 3])
        #expect(quorum.voteResult([1: true]) == .pending)
        #expect(quorum.voteResult([1: true, 2: true]) == .won)
        #expect(quorum.voteResult([1: true, 2: false]) == .pending)
        #expect(quorum.voteResult([1: false, 2: false]) == .lost)
        #expect(MajorityQuorum([1, 2, 3, 4]).voteResult([1: true, 2: true, 3: false]) == .pending)
    }

    @Test func jointQuorumNeedsBothMajorities() {
        let joint = JointQuorum(incoming: [1, 2, 3], outgoing: [3, 4, 5])
        let matches: [MemberID: UInt64] = [1: 9, 2: 9, 3: 4, 4: 7, 5: 2]
        // Incoming majority reached 9; outgoing majority only 4.
        #expect(joint.committedIndex { matches[$0] } == 4)
        #expect(joint.voteResult([1: true, 2: true]) == .pending)
        #expect(joint.voteResult([1: true, 2: true, 4: true, 5: true]) == .won)
        #expect(joint.voteResult([1: true, 2: true, 4: false, 5: false]) == .lost)
    }

    @Test func anEmptyOutgoingHalfNeverHoldsBackTheIncomingHalf() {
        let plain = JointQuorum(incoming: [1, 2, 3])
        #expect(!plain.isJoint)
        #expect(plain.committedIndex { [1: 3, 2: 3, 3: 1][$0] } == 3)
        #expect(plain.voteResult([1: true, 3: true]) == .won)
    }
}

@Suite struct ProgressTests {
    func progress() -> Progress {
        Progress(next: 5, messagesMax: 2, bytesMax: 100, isLearner: false)
    }

    @Test func probeSendsOneMessageThenPausesUntilAnAnswer() {
        var progress = progress()
        #expect(progress.state == .probe && !progress.isPaused)
        progress.sentEntries(count: 1, lastIndex: 5, bytes: 10)
        #expect(progress.isPaused)
        progress.heartbeatAnswered()
        #expect(!progress.isPaused)
    }

    @Test func replicateWindowIsBoundedByCountAndBytes() {
        var progress = progress()
        _ = progress.maybeUpdate(4)
        progress.becomeReplicate()
        progress.sentEntries(count: 2, lastIndex: 6, bytes: 10)
        #expect(!progress.isPaused && progress.next == 7)
        progress.sentEntries(count: 1, lastIndex: 7, bytes: 10)
        #expect(progress.isPaused, "two messages in flight fill a window of two")
        progress.acknowledgeInflights(upTo: 6)
        #expect(!progress.isPaused)
        progress.sentEntries(count: 1, lastIndex: 8, bytes: 95)
        #expect(progress.isPaused, "105 bytes in flight exceed a window of 100 bytes")
    }

    @Test func staleRejectionsAreIgnoredAndHintsSkipAhead() {
        var progress = progress()
        // Probing at next 5 (previous index 4): a rejection of another index is stale.
        let stale = progress.maybeDecrease(rejected: 2, matchHint: 1)
        #expect(!stale)
        let probed = progress.maybeDecrease(rejected: 4, matchHint: 1)
        #expect(probed)
        #expect(progress.next == 2)
        _ = progress.maybeUpdate(3)
        progress.becomeReplicate()
        let belowMatch = progress.maybeDecrease(rejected: 3, matchHint: 0)
        #expect(!belowMatch, "at or below the match is stale")
        let replicated = progress.maybeDecrease(rejected: 8, matchHint: 0)
        #expect(replicated)
        #expect(progress.next == 4)
    }

    @Test func snapshotStatePausesAndResumesAfterTheSnapshot() {
        var progress = progress()
        progress.becomeSnapshot(20)
        #expect(progress.isPaused)
        progress.becomeProbe()
        #expect(progress.next == 21)
    }
}

@Suite struct InflightsTests {
    @Test func aHeartbeatAnswerFreesTheOldestMessageOfAFullWindow() {
        var progress = Progress(next: 1, messagesMax: 2, bytesMax: 0, isLearner: false)
        progress.becomeReplicate()
        progress.sentEntries(count: 1, lastIndex: 1, bytes: 1)
        progress.sentEntries(count: 1, lastIndex: 2, bytes: 1)
        #expect(progress.isPaused)
        progress.heartbeatAnswered()
        #expect(!progress.isPaused && progress.inflights.count == 1)
    }

    @Test func freeingIsByIndexAndKeepsByteCounts() {
        var inflights = Inflights(messagesMax: 10, bytesMax: 100)
        inflights.add(index: 3, bytes: 40)
        inflights.add(index: 5, bytes: 50)
        inflights.add(index: 9, bytes: 20)
        #expect(inflights.isFull)
        inflights.freeLessOrEqual(5)
        #expect(inflights.count == 1 && inflights.bytes == 20 && !inflights.isFull)
        inflights.reset()
        #expect(inflights.count == 0 && inflights.bytes == 0)
    }
}
