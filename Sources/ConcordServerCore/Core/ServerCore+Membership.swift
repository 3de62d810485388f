import ConcordRaft

/// Membership (etcd's Cluster API), peers, and leadership transfer.
///
/// Add, remove and promote are Raft configuration changes whose context
/// carries a `LogPayload.member`; update and publish are normal entries. An
/// engine with a fixed group (`ConsensusEngine.changesMembers` false)
/// refuses add, remove and promote with `MembershipError.fixedReplicas`;
/// update and publish still work.
/// Every replica applies them in log order to its `MemberRegistry`, which
/// every snapshot carries, and points its transport at the members the
/// registry lists. A member that applies its own removal reports it.
extension ServerCore {
    /// How far behind the leader (as a fraction of the leader's last
    /// index) a learner may be and still be promoted: etcd's 90 %.
    static let learnerReadyPercent: UInt64 = 90

    /// A membership change Raft refused because another was pending: it is
    /// proposed again every tick until its deadline.
    struct PendingMemberChange: Sendable {
        var command: MemberCommand
        var purpose: PendingProposal.Purpose
        var deadline: Int64
    }

    /// A MoveLeader waiting to see its target lead.
    struct PendingLeaderMove: Sendable {
        var client: ClientRequestID
        var target: MemberID
        var deadline: Int64
    }

    // MARK: Requests

    mutating func addMember(_ id: ClientRequestID, _ member: MemberRecord, deadline: Int64, _ output: inout ServerOutput) {
        guard engine.changesMembers else { return fail(id, .membership(.fixedReplicas), &output) }
        if let refusal = registry.refusal(of: .add(member), learners: engine.membership.learners) {
            return fail(id, .membership(refusal), &output)
        }
        if !member.isLearner && !enoughStartedVotersToAddOne() { return fail(id, .membership(.notEnoughStarted), &output) }
        proposeMember(.add(member), purpose: .member(id), deadline: deadline, &output)
    }

    mutating func removeMember(_ id: ClientRequestID, _ memberID: UInt64, deadline: Int64, _ output: inout ServerOutput) {
        guard engine.changesMembers else { return fail(id, .membership(.fixedReplicas), &output) }
        if let refusal = registry.refusal(of: .remove(id: memberID), learners: engine.membership.learners) {
            return fail(id, .membership(refusal), &output)
        }
        if !removalKeepsQuorum(memberID) { return fail(id, .membership(.unhealthy), &output) }
        proposeMember(.remove(id: memberID), purpose: .member(id), deadline: deadline, &output)
    }

    mutating func updateMember(_ id: ClientRequestID, _ memberID: UInt64, peerURLs: [String], deadline: Int64, _ output: inout ServerOutput) {
        let command = MemberCommand.update(id: memberID, peerURLs: peerURLs)
        if let refusal = registry.refusal(of: command, learners: engine.membership.learners) {
            return fail(id, .membership(refusal), &output)
        }
        proposeMember(command, purpose: .member(id), deadline: deadline, &output)
    }

    /// Only the leader knows how far a learner has caught up, so a follower
    /// refuses with etcd's "not leader".
    mutating func promoteMember(_ id: ClientRequestID, _ memberID: UInt64, deadline: Int64, _ output: inout ServerOutput) {
        guard engine.changesMembers else { return fail(id, .membership(.fixedReplicas), &output) }
        if let refusal = registry.refusal(of: .promote(id: memberID), learners: engine.membership.learners) {
            return fail(id, .membership(refusal), &output)
        }
        guard engine.role == .leader else { return fail(id, .server(.notLeader), &output) }
        let match = engine.replicatedIndex(of: memberID) ?? 0
        guard match * 100 >= engine.lastIndex * Self.learnerReadyPercent else { return fail(id, .membership(.learnerNotReady), &output) }
        proposeMember(.promote(id: memberID), purpose: .member(id), deadline: deadline, &output)
    }

    /// etcd's strict reconfiguration check for adding a voter: the started
    /// voters (those that published a name) must still form a quorum of
    /// the larger group.
    private func enoughStartedVotersToAddOne() -> Bool {
        let voters = engine.membership.voters
        let started = voters.filter { !(registry.members[$0]?.name.isEmpty ?? true) }.count
        return started >= (voters.count + 1) / 2 + 1
    }

    /// etcd 3.4's strict reconfiguration check for a removal
    /// (`mayRemoveMember`), on the leader:
    /// - a learner may always be removed;
    /// - a voter this member has not heard from lately is not part of the
    ///   active quorum and may be removed;
    /// - otherwise the voters connected for at least the health interval
    ///   (`memberHealthIntervalMilliseconds`, etcd's 5 s), this member
    ///   included, less the one removed, must be a quorum of the voters
    ///   left.
    /// A follower cannot tell which voters are connected to one another
    /// and lets the removal through to the leader's log.
    func removalKeepsQuorum(_ removed: UInt64) -> Bool {
        guard engine.role == .leader else { return true }
        let voters = engine.membership.voters
        guard voters.contains(removed) else { return true }
        let now = nowMilliseconds
        if removed != memberID && peerActivity.activeSince(removed, now: now) == nil { return true }
        let healthySince = now - Int64(configuration.memberHealthIntervalMilliseconds)
        let connected = voters.filter { voter in
            if voter == memberID { return true }
            guard let since = peerActivity.activeSince(voter, now: now) else { return false }
            return since <= healthySince
        }.count
        return connected - 1 >= 1 + (voters.count - 1) / 2
    }

    /// Proposes a member command; a configuration change refused because
    /// another is pending is retried every tick until the deadline.
    mutating func proposeMember(
        _ command: MemberCommand, purpose: PendingProposal.Purpose, deadline: Int64, _ output: inout ServerOutput
    ) {
        let proposal = ProposalID(proposer: memberID, request: takeRequestNumber())
        let payload = LogPayload.member(proposal, command).encoded()
        let step: ConfigurationChange.Step?
        switch command {
        case .add(let member): step = .init(member.isLearner ? .addLearner : .addVoter, member.id)
        case .remove(let id): step = .init(.remove, id)
        case .promote(let id): step = .init(.addVoter, id)
        case .update, .publish: step = nil
        }
        // Recorded first: a lone member may apply the entry within this input.
        proposals[proposal.request] = PendingProposal(
            purpose: purpose, data: step == nil ? payload : nil, deadline: deadline, proposed: true, proposedUnder: engine.leader)
        do throws(ConsensusRequestError) {
            let engineOutput =
                if let step {
                    try engine.proposeConfigurationChange(ConfigurationChange([step], context: payload))
                } else {
                    try engine.propose(batch: [payload])
                }
            absorb(engineOutput, &output)
        } catch {
            proposals[proposal.request] = nil
            switch error {
            case .configurationChangePending, .leadershipTransferInProgress:
                memberRetries.append(PendingMemberChange(command: command, purpose: purpose, deadline: deadline))
            case .notLeader:
                refuseMember(purpose, .server(.noLeader), &output)
            default:
                refuseMember(purpose, .server(.proposalRefused("\(error)")), &output)
            }
        }
    }

    private mutating func refuseMember(_ purpose: PendingProposal.Purpose, _ failure: RequestFailure, _ output: inout ServerOutput) {
        output.proposalsFailed += 1
        switch purpose {
        case .member(let id), .client(let id): fail(id, failure, &output)
        case .publish: publishInFlight = nil
        case .expiredRevoke, .answered, .zooKeeper: break
        }
    }

    /// Proposes again the changes Raft refused while another was pending.
    mutating func retryMemberChanges(_ output: inout ServerOutput) {
        let waiting = memberRetries
        memberRetries = []
        for change in waiting {
            guard engine.leader != nil else {
                memberRetries.append(change)
                continue
            }
            proposeMember(change.command, purpose: change.purpose, deadline: change.deadline, &output)
        }
    }

    // MARK: Publishing

    /// Until this member's name and client URLs are in the registry, asks
    /// the cluster to record them (etcd's publish), at most once per
    /// election timeout.
    mutating func publishIfNeeded(_ output: inout ServerOutput) {
        guard !isRemoved, publishInFlight == nil, nowMilliseconds >= nextPublishMilliseconds, engine.leader != nil else { return }
        guard let record = registry.members[memberID] else { return }
        let name = configuration.name
        let clientURLs = configuration.clientURLs
        guard record.name != name || record.clientURLs != clientURLs else { return }
        nextPublishMilliseconds = nowMilliseconds + Int64(configuration.electionTimeoutMilliseconds)
        publishInFlight = nextRequestNumber
        proposeMember(
            .publish(id: memberID, name: name, clientURLs: clientURLs), purpose: .publish,
            deadline: nowMilliseconds + Int64(configuration.requestTimeoutMilliseconds), &output)
    }

    // MARK: Leadership transfer

    /// Hands leadership to `target` through Raft's TimeoutNow and answers
    /// once this member sees it lead.
    mutating func moveLeader(_ id: ClientRequestID, to target: MemberID, deadline: Int64, _ output: inout ServerOutput) {
        guard engine.role == .leader else { return fail(id, .server(.notLeader), &output) }
        if target == memberID { return reply(id, .success(.leaderMoved), &output) }
        do throws(ConsensusRequestError) {
            leaderMoves.append(PendingLeaderMove(client: id, target: target, deadline: deadline))
            absorb(try engine.transferLeadership(to: target), &output)
        } catch {
            leaderMoves.removeAll { $0.client == id }
            switch error {
            case .notLeader: fail(id, .server(.notLeader), &output)
            default: fail(id, .server(.badLeaderTransferee), &output)
            }
        }
    }

    mutating func resolveLeaderMoves(_ output: inout ServerOutput) {
        guard let leader = engine.leader else { return }
        let moved = leaderMoves.filter { $0.target == leader }
        leaderMoves.removeAll { $0.target == leader }
        for move in moved { reply(move.client, .success(.leaderMoved), &output) }
    }

    // MARK: Applying

    /// Applies a configuration-change entry (Raft has already put the
    /// change in force) to the registry.
    mutating func applyConfigurationEntry(_ entry: LogEntry, _ output: inout ServerOutput) {
        guard let change = try? ConfigurationChange(decoding: entry.data), !change.context.isEmpty else {
            return reconcileMembership(&output)
        }
        let payload: LogPayload
        do {
            payload = try LogPayload(decoding: change.context)
        } catch {
            output.events.append(.skippedEntry(index: entry.index, reason: "\(error)"))
            return reconcileMembership(&output)
        }
        guard case .member(let id, let command) = payload else {
            output.events.append(.skippedEntry(index: entry.index, reason: "a configuration change carrying a store command"))
            return reconcileMembership(&output)
        }
        _ = appliedProposals.insert(id)
        applyMember(id, command, index: entry.index, &output)
    }

    mutating func applyMember(_ id: ProposalID, _ command: MemberCommand, index: UInt64, _ output: inout ServerOutput) {
        let result = registry.applying(command)
        if case .success(let next) = result {
            registry = next
            output.events.append(.memberChangeApplied(index: index, command))
        }
        reconcileMembership(&output)
        guard id.proposer == memberID, let pending = proposals.removeValue(forKey: id.request) else { return }
        switch (pending.purpose, result) {
        case (.member(let client), .success):
            output.proposalsCommitted += 1
            reply(client, .success(.members(memberList())), &output)
        case (.member(let client), .failure(let error)):
            output.proposalsFailed += 1
            fail(client, .membership(error), &output)
        case (.publish, .success):
            publishInFlight = nil
            if case .publish(_, let name, let clientURLs) = command { output.events.append(.published(name: name, clientURLs: clientURLs)) }
        case (.publish, .failure):
            publishInFlight = nil
        default:
            break
        }
    }

    /// Adopts the registry's cluster id, points the transport at the
    /// registry's members, and reports this member's removal.
    ///
    /// Once the registry is known its cluster id is the one in force, also
    /// on a founding member, so that restarting a founding member with an
    /// `--initial-cluster` that lists today's members (etcd's practice)
    /// does not change the cluster id it checks frames against.
    mutating func reconcileMembership(_ output: inout ServerOutput) {
        if registry.clusterID != 0 && registry.clusterID != clusterID {
            if configuration.joinedRunningCluster {
                adoptClusterID(registry.clusterID, &output)
            } else {
                clusterID = registry.clusterID
            }
        }
        reconcilePeers(&output)
        if registry.removed.contains(memberID) && !isRemoved {
            isRemoved = true
            output.identity.append(.removedFromCluster)
        }
    }

    /// Points the transport at every member the registry lists (or, for a
    /// member still joining, every peer `--initial-cluster` names, under
    /// both ids it may have); a member no longer listed is forgotten after
    /// `removedPeerLingerMilliseconds`.
    private mutating func reconcilePeers(_ output: inout ServerOutput) {
        var wanted: [UInt64: String] = [:]
        if registry.members.isEmpty {
            for member in configuration.initialMembers where member.name != configuration.name {
                for id in [member.foundingID, member.joiningID] where id != memberID { wanted[id] = member.peerURL }
            }
        } else {
            for member in registry.members.values where member.id != memberID {
                guard let url = member.peerURLs.first else { continue }
                wanted[member.id] = url
            }
        }
        for (id, url) in wanted.sorted(by: { $0.key < $1.key }) where transportPeers[id] != url {
            transportPeers[id] = url
            lingeringPeers[id] = nil
            output.peerChanges.append(.connect(id: id, peerURL: url))
        }
        for id in transportPeers.keys.sorted() where wanted[id] == nil {
            transportPeers[id] = nil
            lingeringPeers[id] = nowMilliseconds + Int64(configuration.removedPeerLingerMilliseconds)
        }
    }

    mutating func forgetLingeringPeers(_ output: inout ServerOutput) {
        for (id, until) in lingeringPeers.sorted(by: { $0.key < $1.key }) where until <= nowMilliseconds {
            lingeringPeers[id] = nil
            if transportPeers[id] == nil { output.peerChanges.append(.disconnect(id: id)) }
        }
    }

    private mutating func adoptClusterID(_ adopted: UInt64, _ output: inout ServerOutput) {
        guard adopted != clusterID else { return }
        clusterID = adopted
        output.identity.append(.adoptClusterID(adopted))
        output.events.append(.joinedCluster(clusterID: adopted))
    }

    // MARK: Peer frames

    /// Decodes a peer frame, or nil (reported as an event) when it must be
    /// dropped: undecodable, misaddressed, from a removed member, or, on a
    /// member still joining, not from a peer `--initial-cluster` names. A
    /// joining member adopts the cluster id of the first valid frame.
    mutating func admit(_ bytes: [UInt8], from sender: UInt64, _ output: inout ServerOutput) -> PeerFrame.Addressed? {
        if registry.removed.contains(sender) {
            output.events.append(.droppedPeerFrame(sender: sender, reason: "from a removed member"))
            return nil
        }
        var expectedCluster = clusterID
        let adopting = configuration.joinedRunningCluster && clusterID == 0
        if adopting {
            guard joiningCandidatePeers.contains(sender), let carried = PeerFrame.clusterID(in: bytes) else {
                output.events.append(.droppedPeerFrame(sender: sender, reason: "not from a known peer while joining"))
                return nil
            }
            expectedCluster = carried
        }
        let addressed: PeerFrame.Addressed
        do {
            addressed = try PeerFrame.decode(bytes, clusterID: expectedCluster)
        } catch {
            output.events.append(.droppedPeerFrame(sender: sender, reason: "\(error)"))
            return nil
        }
        guard addressed.from == sender, addressed.to == memberID else {
            if adopting && addressed.from == sender {
                if !reportedOtherID {
                    reportedOtherID = true
                    output.events.append(.addressedAsAnotherMember(expected: addressed.to))
                }
            }
            output.events.append(.droppedPeerFrame(sender: sender, reason: "misaddressed: from \(addressed.from) to \(addressed.to)"))
            return nil
        }
        if adopting { adoptClusterID(expectedCluster, &output) }
        return addressed
    }

    /// The ids a peer named in `--initial-cluster` may have.
    private var joiningCandidatePeers: Set<UInt64> {
        var ids = Set<UInt64>()
        for member in configuration.initialMembers where member.name != configuration.name {
            ids.insert(member.foundingID)
            ids.insert(member.joiningID)
        }
        return ids
    }
}
