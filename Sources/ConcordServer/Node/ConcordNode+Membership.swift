import ConcordRaft
import ConcordTransport
import Logging

/// What the node keeps about membership besides Raft's configuration: the
/// replicated member registry, the clients waiting for their member
/// changes, the peers the transport knows, and whether this member was
/// removed.
struct MembershipShellState {
    struct Waiter {
        var continuation: CheckedContinuation<MemberRegistry, any Error>
        var deadline: ContinuousClock.Instant
    }

    var registry: MemberRegistry
    var waiters: [UInt64: Waiter] = [:]
    /// Where the transport sends to each peer now.
    var transportPeers: [UInt64: Endpoint] = [:]
    /// True once this member applied its own removal.
    var removed = false
    var removalWaiters: [CheckedContinuation<Bool, Never>] = []
    /// True once a joining member logged that peers address another id.
    var reportedOtherID = false

    init(registry: MemberRegistry) {
        self.registry = registry
    }
}

/// Membership (etcd's Cluster API) on a `ConcordNode`.
///
/// Add, remove and promote are Raft configuration changes whose context
/// carries a `MemberProposal`; update and publish are normal entries. Every
/// replica applies them in log order to its `MemberRegistry`, which every
/// snapshot carries, and points its peer transport at the members the
/// registry lists. A member that applies its own removal stops.
extension ConcordNode {
    /// How far behind the leader (as a fraction of the leader's last
    /// index) a learner may be and still be promoted: etcd's 90 %.
    static let learnerReadyPercent: UInt64 = 90

    /// How long a removed peer's connection outlives its removal, in
    /// milliseconds, so that the messages telling it the removal committed
    /// still reach it.
    static let removedPeerLingerMilliseconds = 3000

    // MARK: Start-up

    /// Resolves this member's identity from its data directory: a member
    /// that joins a running cluster derives its id from its own peer URL in
    /// `--initial-cluster` and records it (with the cluster id, once known)
    /// in `.member-identity`; a founding member keeps its name-derived id.
    /// - Throws: `ServerConfigurationError` when the identity file is
    ///   damaged or cannot be written, or the data directory belongs to a
    ///   member that was removed from the cluster.
    static func resolveIdentity(_ configuration: inout NodeConfiguration, hasData: Bool) throws {
        if MemberIdentity.isRemoved(directory: configuration.dataDirectory) {
            throw ServerConfigurationError.invalid(
                "\(ServerError.removedFromCluster.message) (\(configuration.dataDirectory) belongs to a removed member)")
        }
        if let identity = try MemberIdentity.load(from: configuration.dataDirectory) {
            configuration.joinedMemberID = identity.memberID
            configuration.adoptedClusterID.store(identity.clusterID)
            return
        }
        guard !hasData, configuration.clusterState == .existing, let own = configuration.ownMember else { return }
        let memberID = ClusterMember.id(forPeerURLs: [own.peerURL])
        try MemberIdentity(memberID: memberID, clusterID: 0).save(in: configuration.dataDirectory)
        configuration.joinedMemberID = memberID
    }

    /// The durable state a new data directory starts from: the founding
    /// configuration with the founding members' registry in the snapshot,
    /// or nothing for a member that joins a running cluster.
    static func initialDurableState(_ configuration: NodeConfiguration) -> RaftDurableState {
        if configuration.joinedRunningCluster { return .joining }
        var durable = RaftDurableState.bootstrap(ConfigurationState(voters: Set(configuration.members.map(\.id))))
        let registry = foundingRegistry(configuration, replicas: nil)
        durable.snapshot.data = ServerSnapshot(registry: registry, stateMachine: []).encoded
        return durable
    }

    /// The registry of the founding members named by `--initial-cluster`
    /// (those among `replicas`, when given): what data written before the
    /// registry existed implies. Founding members have name-derived ids, so
    /// a member that joined later finds them the same way.
    static func foundingRegistry(_ configuration: NodeConfiguration, replicas: Set<UInt64>?) -> MemberRegistry {
        let clusterID =
            configuration.joinedRunningCluster
            ? configuration.adoptedClusterID.load() : ClusterMember.clusterID(of: configuration.members)
        var registry = MemberRegistry(clusterID: clusterID)
        for member in configuration.members where replicas?.contains(member.id) ?? !configuration.joinedRunningCluster {
            registry.members[member.id] = MemberRecord(id: member.id, name: member.name, peerURLs: [member.peerURL], clientURLs: [])
        }
        return registry
    }

    /// Splits a Raft snapshot's data into the registry (rebuilt from
    /// `--initial-cluster` for older data) and the state machine's bytes.
    static func splitSnapshot(
        _ snapshot: RaftSnapshot, _ configuration: NodeConfiguration
    ) throws(WireError) -> (registry: MemberRegistry, stateMachine: [UInt8]) {
        let decoded = try ServerSnapshot(decoding: snapshot.data)
        let registry =
            decoded.registry
            ?? foundingRegistry(configuration, replicas: snapshot.metadata.configuration.allReplicas)
        return (registry, decoded.stateMachine)
    }

    // MARK: Views

    /// Every member: ids, names, URLs, and whether each is a learner (as
    /// Raft's configuration in force says).
    func memberList() -> [MemberRecord] {
        let learners = raft.membership.learners.union(raft.membership.learnersNext)
        return membershipState.registry.sortedMembers.map { member in
            var member = member
            member.isLearner = learners.contains(member.id)
            return member
        }
    }

    /// True while this member is a learner of the configuration in force.
    public var isLearner: Bool {
        raft.membership.learners.contains(configuration.memberID) || raft.membership.learnersNext.contains(configuration.memberID)
    }

    /// True once this member has been removed from the cluster.
    var isRemovedFromCluster: Bool { membershipState.removed }

    /// Waits until this member is removed from the cluster (true) or the
    /// node stops (false).
    func waitUntilRemoved() async -> Bool {
        if membershipState.removed { return true }
        if stopped { return false }
        return await withCheckedContinuation { membershipState.removalWaiters.append($0) }
    }

    // MARK: Requests

    /// Adds a member (etcd's MemberAdd).
    /// - Returns: The member list after the change.
    /// - Throws: `MembershipError` (nothing changes then) or `ServerError`.
    func addMember(_ member: MemberRecord) async throws -> [MemberRecord] {
        if let refusal = membershipState.registry.refusal(of: .add(member), learners: raft.membership.learners) {
            throw refusal
        }
        if !member.isLearner && !enoughStartedVotersToAddOne() { throw MembershipError.notEnoughStarted }
        _ = try await proposeMember(.add(member))
        return memberList()
    }

    /// Removes a member for good (etcd's MemberRemove).
    /// - Throws: `MembershipError` (nothing changes then) or `ServerError`.
    func removeMember(_ id: UInt64) async throws -> [MemberRecord] {
        if let refusal = membershipState.registry.refusal(of: .remove(id: id), learners: raft.membership.learners) {
            throw refusal
        }
        if !removalKeepsQuorum(id) { throw MembershipError.unhealthy }
        _ = try await proposeMember(.remove(id: id))
        return memberList()
    }

    /// Replaces a member's peer URLs (etcd's MemberUpdate).
    /// - Throws: `MembershipError` (nothing changes then) or `ServerError`.
    func updateMember(_ id: UInt64, peerURLs: [String]) async throws -> [MemberRecord] {
        let command = MemberCommand.update(id: id, peerURLs: peerURLs)
        if let refusal = membershipState.registry.refusal(of: command, learners: raft.membership.learners) {
            throw refusal
        }
        _ = try await proposeMember(command)
        return memberList()
    }

    /// Makes a learner a voter (etcd's MemberPromote). Only the leader
    /// knows how far a learner has caught up, so a follower refuses with
    /// etcd's "not leader".
    /// - Throws: `MembershipError` (nothing changes then) or `ServerError`.
    func promoteMember(_ id: UInt64) async throws -> [MemberRecord] {
        if let refusal = membershipState.registry.refusal(of: .promote(id: id), learners: raft.membership.learners) {
            throw refusal
        }
        guard raft.role == .leader else { throw ServerError.notLeader }
        let match = raft.progress[id]?.match ?? 0
        guard match * 100 >= raft.lastIndex * Self.learnerReadyPercent else { throw MembershipError.learnerNotReady }
        _ = try await proposeMember(.promote(id: id))
        return memberList()
    }

    /// etcd's strict reconfiguration check for adding a voter: the started
    /// voters (those that published a name) must still form a quorum of
    /// the larger group.
    private func enoughStartedVotersToAddOne() -> Bool {
        let voters = raft.membership.voters
        let started = voters.filter { !(membershipState.registry.members[$0]?.name.isEmpty ?? true) }.count
        return started >= (voters.count + 1) / 2 + 1
    }

    /// etcd's strict reconfiguration check for a removal, on the leader:
    /// the voters left that are active must form a quorum of what is left.
    /// A follower cannot tell which voters are active and lets it through.
    private func removalKeepsQuorum(_ id: UInt64) -> Bool {
        guard raft.role == .leader else { return true }
        let remaining = raft.membership.voters.subtracting([id])
        guard !remaining.isEmpty else { return false }
        let active = remaining.filter { $0 == configuration.memberID || raft.progress[$0]?.recentActive == true }.count
        return active >= remaining.count / 2 + 1
    }

    /// Proposes a member command and waits until this node applies it.
    /// A configuration change that Raft refuses because another is pending
    /// is retried every tick until the request timeout.
    private func proposeMember(_ command: MemberCommand) async throws -> MemberRegistry {
        guard !stopped else { throw ServerError.stopping }
        let deadline = ContinuousClock.now + .milliseconds(configuration.requestTimeoutMilliseconds)
        while true {
            try await waitForLeader(until: deadline)
            guard !stopped else { throw ServerError.stopping }
            let requestID = nextRequestID
            nextRequestID &+= 1
            let proposal = MemberProposal(proposer: configuration.memberID, requestID: requestID, command: command)
            do {
                return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MemberRegistry, any Error>) in
                    do throws(RaftRequestError) {
                        let output = try proposeToRaft(proposal)
                        membershipState.waiters[requestID] = MembershipShellState.Waiter(continuation: continuation, deadline: deadline)
                        handle(output)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            } catch let error as RaftRequestError {
                switch error {
                case .configurationChangePending, .leadershipTransferInProgress:
                    guard ContinuousClock.now < deadline else { throw ServerError.timedOut }
                    try await Task.sleep(for: .milliseconds(configuration.tickMilliseconds))
                case .notLeader: throw ServerError.noLeader
                default: throw ServerError.proposalRefused("\(error)")
                }
            }
        }
    }

    private func proposeToRaft(_ proposal: MemberProposal) throws(RaftRequestError) -> RaftOutput {
        let step: ConfigurationChange.Step
        switch proposal.command {
        case .add(let member): step = .init(member.isLearner ? .addLearner : .addVoter, member.id)
        case .remove(let id): step = .init(.remove, id)
        case .promote(let id): step = .init(.addVoter, id)
        case .update, .publish: return try raft.propose(proposal.encoded)
        }
        return try raft.proposeConfigurationChange(ConfigurationChange([step], context: proposal.encoded))
    }

    // MARK: Publishing

    /// Until this member's name and client URL are in the registry, asks
    /// the cluster to record them (etcd's publish), retrying every
    /// election timeout.
    func publishWhileNeeded() async {
        let own = configuration.memberID
        let name = configuration.name
        let clientURLs = ["\(configuration.clientListen)"]
        while !stopped && !Task.isCancelled {
            if let record = membershipState.registry.members[own], record.name == name, record.clientURLs == clientURLs {
                return
            }
            if membershipState.registry.members[own] != nil && raft.leader != nil {
                do {
                    _ = try await proposeMember(.publish(id: own, name: name, clientURLs: clientURLs))
                    logger.info("published member attributes", metadata: ["name": "\(name)", "client-urls": "\(clientURLs)"])
                    continue
                } catch {
                    logger.debug("cannot publish member attributes yet", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(configuration.electionTimeoutMilliseconds))
        }
    }

    // MARK: Applying

    /// Applies a configuration-change entry (Raft has already put the
    /// change in force) to the registry.
    func applyConfigurationEntry(_ entry: LogEntry) {
        guard let change = try? ConfigurationChange(decoding: entry.data), !change.context.isEmpty else {
            reconcileMembership()
            return
        }
        applyMemberProposal(change.context, index: entry.index)
    }

    /// Applies a normal entry that holds a member proposal.
    func applyMemberEntry(_ entry: LogEntry) {
        applyMemberProposal(entry.data, index: entry.index)
    }

    private func applyMemberProposal(_ bytes: [UInt8], index: UInt64) {
        let proposal: MemberProposal
        do {
            proposal = try MemberProposal(decoding: bytes)
        } catch {
            // Every replica skips the same bad entry, so they stay in step.
            logger.error("skipping undecodable member proposal", metadata: ["index": "\(index)", "error": "\(error)"])
            return
        }
        let result = membershipState.registry.applying(proposal.command)
        if case .success(let next) = result {
            membershipState.registry = next
            logger.info("applied member change", metadata: ["index": "\(index)", "change": "\(proposal.command)"])
        }
        reconcileMembership()
        guard proposal.proposer == configuration.memberID,
            let waiter = membershipState.waiters.removeValue(forKey: proposal.requestID)
        else { return }
        switch result {
        case .success(let registry): waiter.continuation.resume(returning: registry)
        case .failure(let error): waiter.continuation.resume(throwing: error)
        }
    }

    /// Puts a registry from a snapshot in force.
    func installRegistry(_ registry: MemberRegistry) {
        membershipState.registry = registry
        reconcileMembership()
    }

    /// Adopts the registry's cluster id, points the transport at the
    /// registry's members, and stops if this member was removed.
    ///
    /// Once the registry is known its cluster id is the one in force, also
    /// on a founding member, so that restarting a founding member with an
    /// `--initial-cluster` that lists today's members (etcd's practice)
    /// does not change the cluster id it checks peers' messages against.
    func reconcileMembership() {
        let registry = membershipState.registry
        if registry.clusterID != 0 {
            if configuration.joinedRunningCluster {
                adoptClusterID(registry.clusterID)
            } else {
                configuration.adoptedClusterID.store(registry.clusterID)
            }
        }
        reconcilePeers()
        if registry.removed.contains(configuration.memberID) && !membershipState.removed {
            membershipState.removed = true
            do {
                try MemberIdentity.markRemoved(directory: configuration.dataDirectory)
            } catch {
                logger.error("cannot record the removal in the data directory", metadata: ["error": "\(error)"])
            }
            logger.critical("the member has been permanently removed from the cluster")
            for waiter in membershipState.removalWaiters { waiter.resume(returning: true) }
            membershipState.removalWaiters = []
        }
    }

    /// Declares to the transport every member the registry lists (or, for
    /// a member still joining, every peer `--initial-cluster` names, under
    /// both ids it may have), and forgets the others after a delay.
    func reconcilePeers() {
        guard let transport else { return }
        var wanted: [UInt64: Endpoint] = [:]
        let own = configuration.memberID
        if membershipState.registry.members.isEmpty {
            for member in configuration.members where member.name != configuration.name {
                let endpoint = Endpoint(host: member.peerHost, port: member.peerPort)
                for id in [member.id, ClusterMember.id(forPeerURLs: [member.peerURL])] where id != own { wanted[id] = endpoint }
            }
        } else {
            for member in membershipState.registry.members.values where member.id != own {
                guard let url = member.peerURLs.first, let endpoint = try? Endpoint.parse(url, flag: "peer URL") else { continue }
                wanted[member.id] = endpoint
            }
        }
        for (id, endpoint) in wanted where membershipState.transportPeers[id] != endpoint {
            transport.setPeer(id, host: endpoint.host, port: endpoint.port)
            membershipState.transportPeers[id] = endpoint
        }
        for id in membershipState.transportPeers.keys where wanted[id] == nil {
            membershipState.transportPeers[id] = nil
            let linger = Duration.milliseconds(Self.removedPeerLingerMilliseconds)
            Task { [weak self] in
                try? await Task.sleep(for: linger)
                await self?.forgetPeerIfUnwanted(id)
            }
        }
    }

    private func forgetPeerIfUnwanted(_ id: UInt64) {
        guard membershipState.transportPeers[id] == nil else { return }
        transport?.removePeer(id)
    }

    // MARK: Peer messages

    /// Decodes a peer frame, or nil (counted and logged) when it must be
    /// dropped: undecodable, misaddressed, from a removed member, or, on a
    /// member still joining, not from a peer `--initial-cluster` names. A
    /// joining member adopts the cluster id of the first valid message.
    func admitPeerFrame(_ payload: [UInt8], from sender: UInt64) -> RaftMessage? {
        if membershipState.registry.removed.contains(sender) {
            metrics.badPeerMessages.increment()
            logger.debug("dropping a message from a removed member", metadata: ["sender": "\(String(sender, radix: 16))"])
            return nil
        }
        var clusterID = configuration.clusterID
        let adopting = configuration.joinedRunningCluster && configuration.adoptedClusterID.load() == 0
        if adopting {
            guard joiningCandidatePeers.contains(sender), let carried = Self.clusterID(inFrame: payload) else {
                metrics.badPeerMessages.increment()
                return nil
            }
            clusterID = carried
        }
        let message: RaftMessage
        do {
            message = try RaftMessageCodec.decode(payload, clusterID: clusterID)
        } catch {
            metrics.badPeerMessages.increment()
            logger.warning("dropping undecodable peer message", metadata: ["sender": "\(sender)", "error": "\(error)"])
            return nil
        }
        guard message.from == sender, message.to == configuration.memberID else {
            metrics.badPeerMessages.increment()
            if adopting && message.from == sender {
                guard !membershipState.reportedOtherID else { return nil }
                membershipState.reportedOtherID = true
                // The cluster added a member at this address under another
                // id: the peer URL given to `member add` and this member's
                // entry in --initial-cluster differ.
                logger.error(
                    "a peer addresses another member id at this address; start with exactly the peer URL given to member add",
                    metadata: [
                        "expected-id": "\(String(message.to, radix: 16))", "own-id": "\(String(configuration.memberID, radix: 16))",
                    ])
            } else {
                logger.warning(
                    "dropping misaddressed peer message", metadata: ["sender": "\(sender)", "from": "\(message.from)", "to": "\(message.to)"])
            }
            return nil
        }
        if adopting { adoptClusterID(clusterID) }
        return message
    }

    /// The ids a peer named in `--initial-cluster` may have.
    private var joiningCandidatePeers: Set<UInt64> {
        var ids = Set<UInt64>()
        for member in configuration.members where member.name != configuration.name {
            ids.insert(member.id)
            ids.insert(ClusterMember.id(forPeerURLs: [member.peerURL]))
        }
        return ids
    }

    /// The cluster id a `RaftMessageCodec` frame carries (after its version
    /// byte), without decoding the rest.
    static func clusterID(inFrame payload: [UInt8]) -> UInt64? {
        guard payload.count >= 9, payload[0] == RaftMessageCodec.version else { return nil }
        var value: UInt64 = 0
        for shift in 0..<8 { value |= UInt64(payload[1 + shift]) << (8 * UInt64(shift)) }
        return value == 0 ? nil : value
    }

    /// Records the cluster id a joining member learned, durably.
    private func adoptClusterID(_ clusterID: UInt64) {
        let cell = configuration.adoptedClusterID
        guard cell.load() != clusterID else { return }
        do {
            try MemberIdentity(memberID: configuration.memberID, clusterID: clusterID).save(in: configuration.dataDirectory)
        } catch {
            logger.critical("cannot record the cluster id; stopping", metadata: ["error": "\(error)"])
            fatalError("cannot record the cluster id: \(error)")
        }
        cell.store(clusterID)
        logger.info("joined cluster", metadata: ["cluster-id": "\(String(clusterID, radix: 16))"])
    }

    // MARK: Waiters

    func expireMemberWaiters() {
        let now = ContinuousClock.now
        for (id, waiter) in membershipState.waiters where waiter.deadline <= now {
            membershipState.waiters.removeValue(forKey: id)
            waiter.continuation.resume(throwing: ServerError.timedOut)
        }
    }

    func stopMembership() {
        for waiter in membershipState.waiters.values { waiter.continuation.resume(throwing: ServerError.stopping) }
        membershipState.waiters = [:]
        for waiter in membershipState.removalWaiters { waiter.resume(returning: false) }
        membershipState.removalWaiters = []
    }
}
