import Testing
@testable import ConcordRaft

@Suite struct MembershipTests {
    func propose(_ cluster: inout TestCluster, _ change: ConfigurationChange, on id: MemberID) throws {
        cluster.handle(id, try cluster.nodes[id]!.proposeConfigurationChange(change))
        cluster.deliver()
    }

    @Test func aVoterIsAddedAndCatchesUp() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4])
        cluster.campaign(1)
        try propose(&cluster, ConfigurationChange([.init(.addVoter, 4)]), on: 1)
        cluster.run(rounds: 3)
        #expect(cluster.nodes[1]!.membership.voters == [1, 2, 3, 4])
        #expect(cluster.nodes[4]!.membership.voters == [1, 2, 3, 4])
        try cluster.propose(1, [1])
        cluster.deliver()
        cluster.run(rounds: 1)
        #expect(cluster.appliedData(4) == [[1]])
    }

    @Test func onlyOneConfigurationChangeMayBePending() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4, 5])
        cluster.campaign(1)
        cluster.isolate(2)
        cluster.isolate(3)
        cluster.handle(1, try cluster.nodes[1]!.proposeConfigurationChange(ConfigurationChange([.init(.addVoter, 4)])))
        #expect(throws: RaftRequestError.configurationChangePending) {
            try cluster.nodes[1]!.proposeConfigurationChange(ConfigurationChange([.init(.addVoter, 5)]))
        }
    }

    @Test func aLearnerReceivesTheLogWithoutVotingAndIsPromoted() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4])
        cluster.campaign(1)
        try propose(&cluster, ConfigurationChange([.init(.addLearner, 4)]), on: 1)
        cluster.run(rounds: 2)
        #expect(cluster.nodes[1]!.membership.learners == [4])
        // The learner does not count: with 2 and 3 gone nothing commits.
        cluster.isolate(2)
        cluster.isolate(3)
        cluster.cutLinks.subtract([[1, 4], [4, 1]])
        try cluster.propose(1, [1])
        cluster.deliver()
        #expect(cluster.nodes[4]!.lastIndex == cluster.nodes[1]!.lastIndex)
        #expect(cluster.nodes[1]!.commitIndex < cluster.nodes[1]!.lastIndex)
        cluster.heal()
        cluster.run(rounds: 2)
        try propose(&cluster, ConfigurationChange([.init(.addVoter, 4)]), on: 1)
        cluster.run(rounds: 2)
        #expect(cluster.nodes[4]!.membership.voters == [1, 2, 3, 4] && cluster.nodes[4]!.isPromotable)
    }

    /// Thesis §4.3: replacing voters, including the leader, through a joint
    /// configuration that the leader leaves by itself; the removed leader
    /// steps down and the new configuration elects a leader.
    @Test func jointConsensusRemovesTheLeader() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4])
        cluster.campaign(1)
        try propose(&cluster, ConfigurationChange([.init(.addVoter, 4), .init(.remove, 1)]), on: 1)
        cluster.run(rounds: 3)
        #expect(cluster.nodes[1]!.role == .follower)
        #expect(cluster.nodes[2]!.membership == ConfigurationState(voters: [2, 3, 4]))
        // The entries that entered and left the joint configuration both committed.
        let changes = cluster.applied[2]!.filter { $0.kind == .configurationChange }
        #expect(changes.count == 2)
        for _ in 0..<60 where cluster.leaders.isEmpty { cluster.run(rounds: 1) }
        #expect(cluster.leaders.count == 1 && cluster.leaders[0] != 1)
        let leader = cluster.leaders[0]
        try cluster.propose(leader, [8])
        cluster.deliver()
        cluster.run(rounds: 1)
        for id: MemberID in [2, 3, 4] {
            #expect(cluster.appliedData(id).last == [8])
            #expect(cluster.nodes[id]!.membership == ConfigurationState(voters: [2, 3, 4]), "replica \(id)")
        }
        // The removed replica never campaigns again.
        let termBefore = cluster.nodes[1]!.term
        cluster.isolate(1)
        for _ in 0..<50 { cluster.tick(1) }
        #expect(cluster.nodes[1]!.term == termBefore && cluster.nodes[1]!.role == .follower)
    }

    @Test func anExplicitJointConfigurationWaitsForTheLeave() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4])
        cluster.campaign(1)
        try propose(&cluster, ConfigurationChange([.init(.addVoter, 4)], transition: .explicit), on: 1)
        cluster.run(rounds: 2)
        #expect(cluster.nodes[1]!.membership.isJoint)
        try propose(&cluster, .leaveJoint, on: 1)
        cluster.run(rounds: 2)
        #expect(!cluster.nodes[1]!.membership.isJoint && cluster.nodes[1]!.membership.voters == [1, 2, 3, 4])
    }

    @Test func anInvalidChangeIsRefusedAndChangesNothing() throws {
        var cluster = TestCluster(voters: [1])
        cluster.campaign(1)
        let before = cluster.nodes[1]!.lastIndex
        #expect(throws: RaftRequestError.invalidConfigurationChange(.removesAllVoters)) {
            try cluster.nodes[1]!.proposeConfigurationChange(ConfigurationChange([.init(.remove, 1)]))
        }
        #expect(throws: RaftRequestError.invalidConfigurationChange(.notJoint)) {
            try cluster.nodes[1]!.proposeConfigurationChange(.leaveJoint)
        }
        #expect(cluster.nodes[1]!.lastIndex == before)
    }
}
