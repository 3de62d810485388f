import ConcordFoundation
import Testing
@testable import ConcordPaxos

/// The three roles of single-decree Paxos ("Paxos Made Simple" §2.2, §2.3).
@Suite struct SingleDecreeTests {
    @Test func anAcceptorPromisesOnlyHigherBallotsAndAcceptsUnlessItPromisedHigher() {
        var acceptor = Acceptor()
        #expect(acceptor.receivePrepare(Ballot(round: 2, replica: 1)) == .promise(accepted: nil))
        #expect(acceptor.receivePrepare(Ballot(round: 1, replica: 3)) == .reject(promised: Ballot(round: 2, replica: 1)))
        // P1a: an accept below the promise is refused...
        #expect(acceptor.receiveAccept(Ballot(round: 1, replica: 3), value: [1]) == .reject(promised: Ballot(round: 2, replica: 1)))
        #expect(acceptor.accepted == nil)
        // ...unless the test-only bug ignores it.
        var buggy = acceptor
        #expect(buggy.receiveAccept(Ballot(round: 1, replica: 3), value: [1], ignoringPromise: true) == .accepted)
        #expect(acceptor.receiveAccept(Ballot(round: 2, replica: 1), value: [2]) == .accepted)
        #expect(acceptor.receivePrepare(Ballot(round: 3, replica: 2)) == .promise(accepted: AcceptedValue(ballot: Ballot(round: 2, replica: 1), value: [2])))
    }

    /// P2c: the value of the highest-numbered accepted proposal.
    @Test func aProposerProposesTheHighestAcceptedValueOrItsOwn() {
        let quorums = QuorumSizes.majority(replicaCount: 5)
        var proposer = Proposer(ballot: Ballot(round: 5, replica: 1), ownValue: [9], quorums: quorums)
        #expect(proposer.receivePromise(from: 1, accepted: nil) == nil)
        #expect(proposer.receivePromise(from: 2, accepted: AcceptedValue(ballot: Ballot(round: 2, replica: 3), value: [2])) == nil)
        #expect(proposer.receivePromise(from: 3, accepted: AcceptedValue(ballot: Ballot(round: 4, replica: 2), value: [4])) == [4])
        #expect(proposer.phase == .accepting(value: [4]))
        var buggy = Proposer(ballot: Ballot(round: 5, replica: 1), ownValue: [9], quorums: quorums, ignoresHighestAccepted: true)
        _ = buggy.receivePromise(from: 1, accepted: nil)
        _ = buggy.receivePromise(from: 2, accepted: AcceptedValue(ballot: Ballot(round: 4, replica: 2), value: [4]))
        #expect(buggy.receivePromise(from: 3, accepted: nil) == [9])
        var fresh = Proposer(ballot: Ballot(round: 1, replica: 1), ownValue: [7], quorums: QuorumSizes.majority(replicaCount: 3))
        _ = fresh.receivePromise(from: 1, accepted: nil)
        #expect(fresh.receivePromise(from: 2, accepted: nil) == [7])
    }

    @Test func aLearnerLearnsOnlyFromAPhaseTwoQuorumOfOneBallot() {
        var learner = Learner(quorums: QuorumSizes.majority(replicaCount: 3))
        #expect(learner.receiveAccepted(from: 1, ballot: Ballot(round: 1, replica: 1), value: [1]) == nil)
        // The same value accepted in another ballot does not add up.
        #expect(learner.receiveAccepted(from: 2, ballot: Ballot(round: 2, replica: 2), value: [1]) == nil)
        #expect(learner.receiveAccepted(from: 1, ballot: Ballot(round: 1, replica: 1), value: [1]) == nil)
        #expect(learner.receiveAccepted(from: 3, ballot: Ballot(round: 1, replica: 1), value: [1]) == [1])
        #expect(learner.chosen == [1])
        #expect(learner.receiveAccepted(from: 2, ballot: Ballot(round: 1, replica: 1), value: [1]) == nil)
    }
}
