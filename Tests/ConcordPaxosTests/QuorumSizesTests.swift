import Testing
@testable import ConcordPaxos

@Suite struct QuorumSizesTests {
    @Test func ballotsOrderByRoundThenReplicaAndPackIntoOneWord() {
        let low = Ballot(round: 3, replica: 9)
        let high = Ballot(round: 4, replica: 1)
        #expect(low < high && Ballot(round: 4, replica: 2) > high)
        #expect(low.rawValue < high.rawValue)
        #expect(Ballot(rawValue: high.rawValue) == high)
        #expect(Ballot.zero < Ballot(round: 0, replica: 1))
        #expect(low.next(for: 2, above: high) == Ballot(round: 5, replica: 2))
    }

    @Test func majoritiesIntersectAndSurviveAMinority() {
        let five = QuorumSizes.majority(replicaCount: 5)
        #expect(five.phaseOne == 3 && five.phaseTwo == 3 && five.readQuorum == 3 && five.failuresTolerated == 2)
        let four = QuorumSizes.majority(replicaCount: 4)
        #expect(four.phaseOne == 3 && four.failuresTolerated == 1)
    }

    /// Flexible Paxos: only phase-1 and phase-2 quorums must intersect.
    @Test func flexibleQuorumsAreAcceptedWhenTheirSizesExceedTheGroup() throws {
        let small = try QuorumSizes(replicaCount: 5, phaseOne: 4, phaseTwo: 2)
        #expect(small.readQuorum == 2)
        #expect(small.failuresTolerated == 1)
        let even = try QuorumSizes(replicaCount: 4, phaseOne: 3, phaseTwo: 2)
        #expect(even.phaseTwo == 2)
    }

    @Test func quorumsThatDoNotIntersectAreRefusedWithAClearError() {
        #expect(throws: QuorumSizeError.quorumsDoNotIntersect(phaseOne: 2, phaseTwo: 3, replicaCount: 5)) {
            try QuorumSizes(replicaCount: 5, phaseOne: 2, phaseTwo: 3)
        }
        do {
            _ = try QuorumSizes(replicaCount: 4, phaseOne: 2, phaseTwo: 2)
            Issue.record("2 + 2 of 4 was accepted")
        } catch {
            #expect(error.description.contains("|Q1| + |Q2| > n"))
        }
        #expect(throws: QuorumSizeError.quorumOutOfRange(phase: 2, size: 6, replicaCount: 5)) {
            try QuorumSizes(replicaCount: 5, phaseOne: 3, phaseTwo: 6)
        }
        #expect(throws: QuorumSizeError.replicaCountOutOfRange(0)) {
            try QuorumSizes(replicaCount: 0, phaseOne: 1, phaseTwo: 1)
        }
    }

    @Test func aConfigurationWithNonIntersectingQuorumsHasAProblemUnlessTheBugIsOn() {
        var configuration = MultiPaxosConfiguration(id: 1, replicas: [1, 2, 3, 4, 5])
        configuration.phaseOneQuorum = 2
        configuration.phaseTwoQuorum = 3
        #expect(configuration.problems.contains { $0.contains("|Q1| + |Q2| > n") })
        configuration.testingBugs = [.nonIntersectingQuorums]
        #expect(configuration.problems.isEmpty)
    }

    @Test func theValueReachedByAQuorumIsTheKthLargest() {
        #expect(QuorumSizes.value(reachedBy: 2, of: [5, 9, 7]) == 7)
        #expect(QuorumSizes.value(reachedBy: 3, of: [5, 9, 7]) == 5)
        #expect(QuorumSizes.value(reachedBy: 4, of: [5, 9, 7]) == 0)
    }

    /// Fast Paxos §3.1: classic + 2 × fast > 2n; about ⌈3n/4⌉ with majorities.
    @Test func minimalFastQuorumsMeetTheQuorumRequirementAndAreAboutThreeQuartersOfTheGroup() throws {
        for count in 1...20 {
            let sizes = FastQuorumSizes.minimal(replicaCount: count)
            #expect(2 * sizes.classic > count)
            #expect(sizes.classic + 2 * sizes.fast > 2 * count)
            // One less would break requirement (b).
            if sizes.fast > sizes.classic {
                #expect(sizes.classic + 2 * (sizes.fast - 1) <= 2 * count)
            }
            let threeQuarters = (3 * count + 3) / 4
            #expect(abs(sizes.fast - threeQuarters) <= 1, "n \(count): fast \(sizes.fast), ⌈3n/4⌉ \(threeQuarters)")
        }
        #expect(FastQuorumSizes.minimal(replicaCount: 3).fast == 3)
        #expect(FastQuorumSizes.minimal(replicaCount: 5).fast == 4)
    }

    @Test func fastQuorumsTooSmallAreRefused() {
        #expect(throws: QuorumSizeError.fastQuorumTooSmall(classic: 3, fast: 3, replicaCount: 5)) {
            try FastQuorumSizes(replicaCount: 5, classic: 3, fast: 3)
        }
        var configuration = FastPaxosConfiguration(id: 1, replicas: [1, 2, 3, 4, 5])
        configuration.fastQuorum = 3
        #expect(configuration.problems.contains { $0.contains("too small") })
    }

    /// Fast Paxos §3.5.1: surviving f failures in both kinds of round takes
    /// 3f + 1 acceptors, where classic Paxos takes 2f + 1.
    @Test func fastPaxosNeedsThreeFPlusOneAcceptorsToSurviveFFailures() {
        for failures in 0...5 {
            let sizes = FastQuorumSizes.replicasNeeded(toTolerate: failures)
            #expect(sizes.replicaCount == 3 * failures + 1)
            #expect(sizes.failuresTolerated.fast == failures && sizes.failuresTolerated.classic == failures)
            if sizes.replicaCount > 1 {
                let fewer = sizes.replicaCount - 1
                #expect((try? FastQuorumSizes(replicaCount: fewer, classic: fewer - failures, fast: fewer - failures)) == nil)
            }
        }
    }
}
