import ConcordFoundation
import ConcordKV
import ConcordRaft
import ConcordZooKeeper

/// Applying the committed log, and snapshots.
extension ServerCore {
    /// What a durable snapshot restores.
    struct Restored {
        var registry: MemberRegistry
        var state: KVStateMachine
        var appliedProposals: AppliedProposals
        var auth: AuthStore
        var zooKeeper: ZooKeeper.StateMachine
    }

    /// The durable state a new data directory starts from: the founding
    /// configuration with the founding members' registry in the snapshot,
    /// or nothing for a member that joins a running cluster.
    public static func bootstrapState(_ configuration: ServerCoreConfiguration) -> RaftDurableState {
        if configuration.joinedRunningCluster { return .joining }
        let voters = Set(configuration.initialMembers.map(\.foundingID))
        var durable = RaftDurableState.bootstrap(ConfigurationState(voters: voters))
        let registry = foundingRegistry(configuration, replicas: nil)
        durable.snapshot.data = ServerSnapshot(registry: registry, stateMachine: []).encoded
        return durable
    }

    /// The registry of the founding members named by `--initial-cluster`
    /// (those among `replicas`, when given): what data written before the
    /// registry existed implies. Founding members have name-derived ids, so
    /// a member that joined later finds them the same way.
    static func foundingRegistry(_ configuration: ServerCoreConfiguration, replicas: Set<UInt64>?) -> MemberRegistry {
        var registry = MemberRegistry(clusterID: configuration.clusterID)
        for member in configuration.initialMembers
        where replicas?.contains(member.foundingID) ?? !configuration.joinedRunningCluster {
            registry.members[member.foundingID] = MemberRecord(
                id: member.foundingID, name: member.name, peerURLs: [member.peerURL], clientURLs: [])
        }
        return registry
    }

    /// Decodes a Raft snapshot's data: the registry (rebuilt from
    /// `--initial-cluster` for data written without one), the state
    /// machine and the duplicate filter. The key-value state machine, the
    /// bulk of a snapshot, is decoded where it lies in `snapshot.data`:
    /// no part of the data is copied out first.
    static func restore(_ snapshot: RaftSnapshot, _ configuration: ServerCoreConfiguration) throws -> Restored {
        let limits = KVLimits(requestBytesMax: configuration.requestBytesMax)
        var reader = BinaryReader(snapshot.data)
        let parts = try ServerSnapshot.decodeAllButStateMachine(&reader, appliedProposalsRemembered: configuration.appliedProposalsRemembered)
        let registry = parts?.registry ?? foundingRegistry(configuration, replicas: snapshot.metadata.configuration.allReplicas)
        let state =
            reader.isAtEnd
            ? KVStateMachine(limits: limits, ttlSecondsMin: configuration.leaseTTLSecondsMin)
            : try KVStateMachine(reading: &reader, limits: limits, ttlSecondsMin: configuration.leaseTTLSecondsMin)
        let zooKeeper = try restoreZooKeeper(parts?.zooKeeper ?? [], configuration)
        return Restored(
            registry: registry, state: state,
            appliedProposals: parts?.appliedProposals ?? AppliedProposals(capacity: configuration.appliedProposalsRemembered),
            auth: parts?.auth ?? AuthStore(), zooKeeper: zooKeeper)
    }

    // MARK: Applying

    mutating func apply(_ entry: LogEntry, _ output: inout ServerOutput) {
        output.entriesApplied += 1
        if configuration.reportsAppliedEntries { output.appliedEntries.append(entry) }
        if entry.kind == .configurationChange { return applyConfigurationEntry(entry, &output) }
        guard entry.kind == .normal, !entry.data.isEmpty else { return }
        let payload: LogPayload
        do {
            payload = try LogPayload(decoding: entry.data)
        } catch {
            // Every replica skips the same bad entry, so they stay in step.
            output.events.append(.skippedEntry(index: entry.index, reason: "\(error)"))
            return
        }
        guard isFirstApplication(of: payload.proposalID) else { return }
        switch payload {
        case .store(let id, let command): applyStore(id, command, &output)
        case .member(let id, let command): applyMember(id, command, index: entry.index, &output)
        case .auth(let id, let command): applyAuth(id, command, &output)
        case .checkedStore(let id, let caller, let command):
            if let refusal = applyRefusal(command, caller) {
                // Refused in log order on every member alike: nothing changes.
                return answerProposal(id, .failure(.auth(refusal)), &output)
            }
            applyStore(id, command, &output)
        case .checkedAuth(let id, let caller, let command):
            // Root is needed, judged by the store as this entry finds it.
            if let refusal = auth.refusal(.auth(command), caller: caller) {
                return answerProposal(id, .failure(.auth(refusal)), &output)
            }
            applyAuth(id, command, &output)
        case .zooKeeper(let id, let time, let command):
            applyZooKeeper(id, timeMilliseconds: time, command, &output)
        }
    }

    /// Why `caller` may not make a client's write or lease revoke, judged
    /// by the auth store as this entry finds it, as etcd 3.4's
    /// `authApplierV3` does: the caller's auth revision must not be older
    /// than the store's (`revision of auth store is old`), a write needs
    /// its permissions (`AuthStore.refusal`), a put that attaches its key
    /// to a lease needs write permission on every key already attached to
    /// that lease, and revoking a lease needs write permission on every
    /// key attached to it (etcd's `checkLeasePuts`: a user must not attach
    /// a key to a lease it could not revoke).
    func applyRefusal(_ command: StoreCommand, _ caller: AuthCaller?) -> AuthError? {
        guard auth.isEnabled else { return nil }
        switch command {
        case .kv(let kv):
            if let refusal = auth.refusal(.write(kv), caller: caller) { return refusal }
            if case .put(let put) = kv, put.lease != 0 { return leaseKeysRefusal(put.lease, caller) }
            return nil
        case .lease(.revoke(let leaseID)):
            return leaseKeysRefusal(leaseID, caller)
        case .lease(.grant):
            return nil
        }
    }

    /// Why `caller` may not write every key attached to lease `leaseID`:
    /// nil for a lease without keys, or one that does not exist (applying
    /// then fails with etcd's lease error), as in etcd.
    private func leaseKeysRefusal(_ leaseID: Int64, _ caller: AuthCaller?) -> AuthError? {
        for key in state.leases.keys(leaseID) ?? [] {
            if let refusal = auth.keyRefusal(caller, .write, key: key, rangeEnd: []) { return refusal }
        }
        return nil
    }

    /// Answers the client waiting for this member's proposal `id`, if any.
    private mutating func answerProposal(_ id: ProposalID, _ result: Result<ClientAnswer, RequestFailure>, _ output: inout ServerOutput) {
        guard id.proposer == memberID, let pending = proposals.removeValue(forKey: id.request) else { return }
        if case .client(let client) = pending.purpose {
            output.proposalsCommitted += 1
            reply(client, result, &output)
        }
    }

    /// Records a payload in the duplicate filter.
    /// - Returns: false when it was applied before.
    private mutating func isFirstApplication(of id: ProposalID) -> Bool {
        let first = appliedProposals.insert(id)
        return first || configuration.bugs.contains(.reapplyRetriedProposal)
    }

    private mutating func applyStore(_ id: ProposalID, _ command: StoreCommand, _ output: inout ServerOutput) {
        let result: Result<ClientAnswer, RequestFailure>
        do {
            let (applied, events) = try state.apply(command, nowMilliseconds: nowMilliseconds)
            result = .success(Self.answer(applied))
            if skipNextWatchEvents && !events.isEmpty {
                // The `skipWatchEventAfterLeaderChange` bug: the revision
                // reaches the hub without its events.
                skipNextWatchEvents = false
                hub.onApplied(revision: state.store.currentRevision, events: [])
            } else {
                hub.onApplied(revision: state.store.currentRevision, events: events)
            }
            if !events.isEmpty { watchWorkMayWait = true }
        } catch {
            switch error {
            case .kv(let error): result = .failure(.kv(error))
            case .lease(let error): result = .failure(.lease(error))
            }
        }
        guard id.proposer == memberID, let pending = proposals.removeValue(forKey: id.request) else { return }
        switch pending.purpose {
        case .client(let client):
            output.proposalsCommitted += 1
            reply(client, result, &output)
        case .expiredRevoke(let leaseID):
            revokesInFlight[leaseID] = nil
        case .member, .publish, .answered, .zooKeeper:
            break
        }
    }

    /// Applies an auth command; a command that fails changes nothing and
    /// is answered with etcd's error.
    private mutating func applyAuth(_ id: ProposalID, _ command: AuthCommand, _ output: inout ServerOutput) {
        let result: Result<ClientAnswer, RequestFailure>
        do throws(AuthError) {
            try auth.apply(command)
            switch command {
            case .assignToken(let token, let user, let revision):
                if let hash = auth.users[user]?.passwordHash {
                    tokens.issue(token, to: AuthCaller(name: user, revision: revision), passwordHash: hash, nowMilliseconds: nowMilliseconds)
                }
            case .disable:
                tokens.removeAll()
            default:
                break
            }
            result = .success(.authApplied)
        } catch {
            result = .failure(.auth(error))
        }
        guard id.proposer == memberID, let pending = proposals.removeValue(forKey: id.request) else { return }
        if case .client(let client) = pending.purpose {
            output.proposalsCommitted += 1
            reply(client, result, &output)
        }
    }

    // MARK: Snapshots

    mutating func install(_ snapshot: RaftSnapshot, _ output: inout ServerOutput) {
        // The key-value state the snapshot replaces goes first, so that the
        // old and the new one are never held together (at a million keys,
        // each is hundreds of megabytes); the new one reuses its memory. A
        // snapshot that cannot be decoded stops the member, so nothing
        // reads the emptied state.
        state = KVStateMachine(
            limits: KVLimits(requestBytesMax: configuration.requestBytesMax), ttlSecondsMin: configuration.leaseTTLSecondsMin)
        let restored: Restored
        do {
            restored = try Self.restore(snapshot, configuration)
        } catch {
            output.fatal = "the leader sent an undecodable snapshot at index \(snapshot.metadata.index): \(error)"
            return
        }
        state = restored.state
        appliedProposals = restored.appliedProposals
        auth = restored.auth
        registry = restored.registry
        installZooKeeper(restored.zooKeeper, &output)
        hub.onRestored(store: state.store)
        watchWorkMayWait = true
        if engine.role == .leader {
            state.onBecameLeader(nowMilliseconds: nowMilliseconds, extendMilliseconds: Int64(configuration.electionTimeoutMilliseconds))
        }
        reconcileMembership(&output)
        output.events.append(.snapshotInstalled(index: snapshot.metadata.index, revision: state.store.currentRevision))
    }

    mutating func takeSnapshotIfDue(_ output: inout ServerOutput) {
        guard engine.appliedIndex >= engine.snapshotIndex + configuration.snapshotEveryEntries, snapshotEncoding == nil else { return }
        let capture = SnapshotCapture(
            index: engine.appliedIndex, registry: registry, appliedProposals: appliedProposals, auth: auth, zooKeeper: zooKeeper.state,
            state: state)
        let encoding = SnapshotEncoding(index: capture.index, membership: engine.membership, revision: state.store.currentRevision)
        guard configuration.encodesSnapshotsInShell else {
            return compact(encoding, data: capture.encoded(), &output)
        }
        snapshotEncoding = encoding
        output.snapshotToEncode = capture
    }

    /// The shell encoded the snapshot captured at `index` (see
    /// `encodesSnapshotsInShell`): the log is compacted up to it, unless
    /// the member moved past it meanwhile.
    public mutating func onSnapshotEncoded(index: UInt64, data: [UInt8], nowMilliseconds now: Int64) -> ServerOutput {
        advance(now)
        var output = ServerOutput()
        if let encoding = snapshotEncoding, encoding.index == index {
            snapshotEncoding = nil
            compact(encoding, data: data, &output)
            // More entries may have been applied while it was encoded.
            takeSnapshotIfDue(&output)
        }
        finish(&output)
        return output
    }

    /// Compacts the log up to a snapshot of `encoding`'s index, unless a
    /// later snapshot was installed or a configuration change applied
    /// since it was captured (the snapshot would record the wrong one; the
    /// next one is taken when due).
    mutating func compact(_ encoding: SnapshotEncoding, data: [UInt8], _ output: inout ServerOutput) {
        guard encoding.index > engine.snapshotIndex, encoding.index <= engine.appliedIndex, encoding.membership == engine.membership else {
            return
        }
        do throws(ConsensusRequestError) {
            let engineOutput = try engine.compact(upTo: encoding.index, snapshotData: data)
            output.events.append(.snapshotTaken(index: encoding.index, revision: encoding.revision))
            absorb(engineOutput, &output)
        } catch {
            output.events.append(.snapshotFailed("\(error)"))
        }
    }
}

/// A snapshot being encoded by the shell: what the core checks when the
/// bytes come back.
struct SnapshotEncoding: Sendable {
    /// The applied index the state was captured at.
    var index: UInt64
    /// The configuration in force then.
    var membership: ConfigurationState
    /// The key-value revision then.
    var revision: Int64
}

/// A member's replicated state at an applied index, captured for a
/// snapshot: copy-on-write values, so the capture costs nothing until the
/// member changes its state, and it may be encoded on any thread.
public struct SnapshotCapture: Sendable {
    /// The applied index the state is of.
    public let index: UInt64
    let registry: MemberRegistry
    let appliedProposals: AppliedProposals
    let auth: AuthStore
    let zooKeeper: ZooKeeper.StateMachine
    let state: KVStateMachine

    /// The snapshot's bytes, as `onSnapshotEncoded` takes them.
    public func encoded() -> [UInt8] {
        ServerSnapshot(
            registry: registry, appliedProposals: appliedProposals, auth: auth, zooKeeper: zooKeeper.snapshot(),
            stateMachine: state.snapshot()
        ).encoded
    }
}
