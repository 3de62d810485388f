import ConcordFoundation

import Testing

@testable import ConcordServerCore

/// `ReadRounds` groups linearizable reads into ReadIndex rounds; a read must
/// only ever be served by a round that started after it arrived.
@Suite struct ReadRoundsTests {
    static func read(_ id: UInt64, deadline: Int64 = 10_000) -> ReadRounds.Read {
        ReadRounds.Read(id: id, deadlineMilliseconds: deadline)
    }

    @Test func readsThatArriveDuringARoundShareTheNextOne() {
        var rounds = ReadRounds(firstContext: 100, retryMilliseconds: 500)
        #expect(rounds.add(Self.read(1), nowMilliseconds: 0) == 100)
        #expect(rounds.add(Self.read(2), nowMilliseconds: 1) == nil)
        #expect(rounds.add(Self.read(3), nowMilliseconds: 2) == nil)
        // The first round's index arrives: reads 2 and 3 go out together.
        #expect(rounds.readIndex(7, context: 100, nowMilliseconds: 3) == 101)
        #expect(rounds.servable(appliedIndex: 7).map(\.id) == [1])
        // Read 2 and 3 are not served by round 100's index, even once applied.
        #expect(rounds.servable(appliedIndex: 50).isEmpty)
        #expect(rounds.readIndex(9, context: 101, nowMilliseconds: 4) == nil)
        #expect(rounds.servable(appliedIndex: 8).isEmpty)
        #expect(rounds.servable(appliedIndex: 9).map(\.id).sorted() == [2, 3])
        #expect(rounds.count == 0)
    }

    @Test func aReadWaitsUntilItsRoundsIndexIsApplied() {
        var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 500)
        let context = rounds.add(Self.read(1), nowMilliseconds: 0)!
        #expect(rounds.servable(appliedIndex: 1_000).isEmpty)
        _ = rounds.readIndex(12, context: context, nowMilliseconds: 1)
        #expect(rounds.servable(appliedIndex: 11).isEmpty)
        #expect(rounds.servable(appliedIndex: 12).map(\.id) == [1])
    }

    @Test func answersForUnknownOrAnsweredRoundsAreIgnored() {
        var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 500)
        let context = rounds.add(Self.read(1), nowMilliseconds: 0)!
        #expect(rounds.readIndex(5, context: 999, nowMilliseconds: 1) == nil)
        #expect(rounds.servable(appliedIndex: 5).isEmpty)
        _ = rounds.readIndex(5, context: context, nowMilliseconds: 1)
        // A duplicate answer with a lower index does not lower the round's.
        _ = rounds.readIndex(2, context: context, nowMilliseconds: 1)
        #expect(rounds.servable(appliedIndex: 4).isEmpty)
        #expect(rounds.servable(appliedIndex: 5).map(\.id) == [1])
    }

    @Test func aRoundWithoutAnswerIsRetriedAndItsLateAnswerIgnored() {
        var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 500)
        let first = rounds.add(Self.read(1), nowMilliseconds: 0)!
        #expect(rounds.add(Self.read(2), nowMilliseconds: 10) == nil)
        #expect(rounds.expire(nowMilliseconds: 499).start == nil)
        let retried = rounds.expire(nowMilliseconds: 500)
        #expect(retried.expired.isEmpty)
        let second = try! #require(retried.start)
        #expect(second != first)
        // The abandoned round's answer comes late: nobody is served by it.
        #expect(rounds.readIndex(3, context: first, nowMilliseconds: 501) == nil)
        #expect(rounds.servable(appliedIndex: 3).isEmpty)
        _ = rounds.readIndex(4, context: second, nowMilliseconds: 502)
        #expect(rounds.servable(appliedIndex: 4).map(\.id).sorted() == [1, 2])
    }

    @Test func readsPastTheirDeadlineExpireWhereverTheyWait() {
        var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 10_000)
        let context = rounds.add(Self.read(1, deadline: 100), nowMilliseconds: 0)!
        _ = rounds.add(Self.read(2, deadline: 100), nowMilliseconds: 0)
        _ = rounds.add(Self.read(3, deadline: 300), nowMilliseconds: 0)
        let result = rounds.expire(nowMilliseconds: 100)
        #expect(result.expired.map(\.id).sorted() == [1, 2])
        // Round `context` lost its only read, so the queued read starts one.
        #expect(result.start != nil && result.start != context)
        #expect(rounds.count == 1)
    }

    @Test func aRefusedRoundGivesBackItsReadsAndFreesTheSlot() {
        var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 500)
        let context = rounds.add(Self.read(1), nowMilliseconds: 0)!
        #expect(rounds.refused(context).map(\.id) == [1])
        #expect(rounds.add(Self.read(2), nowMilliseconds: 1) != nil)
        #expect(rounds.removeAll().map(\.id) == [2])
        #expect(rounds.count == 0)
    }

    @Test func noReadIsServedBeforeTheCommitIndexItArrivedAfterIsApplied() {
        // Random interleavings against a model leader: a round's read index
        // is the commit index when the round starts; a read is linearizable
        // only if it is served once everything committed before it arrived
        // is applied.
        var generator = SeededRandom(seed: 7)
        var served = 0
        for _ in 0..<300 {
            var rounds = ReadRounds(firstContext: 1, retryMilliseconds: 5)
            var commitAtArrival: [UInt64: UInt64] = [:]
            var indexOfRound: [UInt64: UInt64] = [:]
            var open: [UInt64] = []
            var nextID: UInt64 = 1
            var commit: UInt64 = 0
            var applied: UInt64 = 0
            for step in 0..<80 {
                var start: UInt64?
                switch generator.next() % 6 {
                case 0, 1:
                    commitAtArrival[nextID] = commit
                    start = rounds.add(Self.read(nextID), nowMilliseconds: Int64(step))
                    nextID += 1
                case 2 where !open.isEmpty:
                    let context = open.remove(at: Int(generator.next() % UInt64(open.count)))
                    start = rounds.readIndex(indexOfRound[context]!, context: context, nowMilliseconds: Int64(step))
                case 3:
                    commit += 1 + generator.next() % 2
                case 4:
                    applied = min(commit, applied + generator.next() % 3)
                    for read in rounds.servable(appliedIndex: applied) {
                        served += 1
                        #expect(applied >= commitAtArrival[read.id]!, "read \(read.id) served at \(applied), committed before it: \(commitAtArrival[read.id]!)")
                    }
                default:
                    start = rounds.expire(nowMilliseconds: Int64(step)).start
                }
                if let start {
                    indexOfRound[start] = commit
                    open.append(start)
                }
            }
        }
        #expect(served > 1_000)
    }
}
