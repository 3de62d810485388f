import ConcordKV
import ConcordRaft
import ConcordSimulation

/// A Raft server of the MVCC lab: the shell around a `RaftNode` whose log
/// carries `KVCommand`s and whose replicas apply them to an `MVCCStore`.
/// It performs the node's outputs in the order `RaftOutput` documents (the
/// same order as the Raft lab's key-value server): persist, send, install a
/// snapshot, apply committed entries and answer their clients, serve reads
/// whose ReadIndex is applied. Writes are checked with the store's
/// `validate` before they are proposed, as etcd's server does.
///
/// The leader also compacts the store's history through the log (as
/// etcd's periodic auto-compaction does) once it holds more than
/// `MVCCRaftScenario.historyRevisionsMax` revisions.
struct MVCCKVServer {
    static let tickTimer = TimerID(1)
    static let flushTimer = TimerID(2)
    /// The session of commands the server proposes itself (compactions):
    /// they bypass the session table.
    static let serverSession: UInt64 = 0

    let id: NodeID
    let settings: RaftLabSettings
    let monitor: RaftSafetyMonitor
    let bug: MVCCLabBug?
    private(set) var node: RaftNode
    /// The durable image and the persist requests the disk has not yet synced.
    private var disk: RaftLabDisk
    private(set) var stateMachine: MVCCStateMachine
    /// Writes waiting to be applied, by client session.
    private var waitingWrites: [UInt64: (sequence: UInt64, client: NodeID)] = [:]
    private var batch: [(entry: MVCCLabEntry, client: NodeID)] = []
    private var reads = RaftLabPendingReads<(request: MVCCLabRequest, range: RangeRequest, client: NodeID)>()
    /// The highest compaction revision this server proposed.
    private var compactionProposed: Int64 = 0
    /// MVCC compactions applied, for the report.
    private(set) var compactionsApplied = 0

    init(
        id: NodeID, durable: RaftDurableState?, settings: RaftLabSettings, monitor: RaftSafetyMonitor, bug: MVCCLabBug?,
        context: inout NodeContext<MVCCLabMessage, RaftDurableState>
    ) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        self.bug = bug
        let founding = ConfigurationState(voters: Set(settings.servers.map { ReplicaID($0) }))
        let state = durable ?? .bootstrap(founding)
        disk = RaftLabDisk(state)
        // The state machine restarts from the snapshot; the node then hands
        // out the committed entries after it again.
        do {
            stateMachine = try MVCCStateMachine(snapshot: state.snapshot.data, bug: bug)
        } catch {
            preconditionFailure("n\(id) could not restore its own snapshot: \(error)")
        }
        let seed = context.random.next()
        node = RaftNode(configuration: settings.raftConfiguration(for: id), restoring: state, random: RaftRandom(seed: seed))
        monitor.replicaRestarted(ReplicaID(id))
        if durable == nil {
            disk.persistFounding(state, &context)
        }
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tickInterval)
            perform(node.tick(), &context)
        case Self.flushTimer:
            flushBatch(&context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    mutating func onMessage(_ message: MVCCLabMessage, from: NodeID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        switch message {
        case .raft(let raftMessage):
            perform(node.step(raftMessage), &context)
        case .request(let request):
            switch request.body {
            case .range(let range):
                read(request, range, from: from, &context)
            case .write(let command):
                do {
                    try stateMachine.store.validate(command)
                } catch {
                    context.send(.response(sequence: request.sequence, .answer(.refused(error))), to: from)
                    return
                }
                if batch.isEmpty {
                    context.setTimer(Self.flushTimer, after: settings.batchDelay)
                }
                batch.append((MVCCLabEntry(clientID: request.clientID, sequence: request.sequence, command: command), from))
            }
        case .response:
            break
        }
    }

    private mutating func read(
        _ request: MVCCLabRequest, _ range: RangeRequest, from client: NodeID,
        _ context: inout NodeContext<MVCCLabMessage, RaftDurableState>
    ) {
        let readContext = reads.nextContext()
        do {
            let output = try node.readIndex(context: readContext)
            reads.awaitIndex(readContext, (request, range, client))
            perform(output, &context)
        } catch {
            refuse(request.sequence, client: client, error, &context)
        }
    }

    private mutating func flushBatch(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        let flushed = batch
        batch = []
        guard !flushed.isEmpty else { return }
        do {
            let output = try node.propose(batch: flushed.map { ProposedEntry(data: $0.entry.encoded()) })
            for (entry, client) in flushed {
                waitingWrites[entry.clientID] = (entry.sequence, client)
            }
            perform(output, &context)
        } catch {
            for (entry, client) in flushed {
                refuse(entry.sequence, client: client, error, &context)
            }
        }
    }

    private func refuse(
        _ sequence: UInt64, client: NodeID, _ error: RaftRequestError, _ context: inout NodeContext<MVCCLabMessage, RaftDurableState>
    ) {
        var hint: Int?
        if case .notLeader(let leader) = error, let leader { hint = Int(leader) }
        context.send(.response(sequence: sequence, .notLeader(leaderHint: hint)), to: client)
    }

    /// Performs an output in the order `RaftOutput` documents.
    private mutating func perform(_ output: RaftOutput, _ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        if let request = output.persist {
            disk.persist(request, &context)
        }
        for message in output.messages {
            context.send(.raft(message), to: NodeID(message.to))
        }
        if let snapshot = output.snapshotToInstall {
            do {
                stateMachine = try MVCCStateMachine(snapshot: snapshot.data, bug: bug)
            } catch {
                preconditionFailure("n\(id) received a snapshot it cannot restore: \(error)")
            }
            context.log("n\(id) installed snapshot \(snapshot.metadata.index)/\(snapshot.metadata.term)")
        }
        for entry in output.committedEntries {
            apply(entry, &context)
        }
        reads.confirmed(output.readStates)
        serveReads(&context)
        if let change = output.roleChange {
            context.log("n\(id) \(change.role.rawValue) term \(change.term) leader \(change.leader.map { "n\($0)" } ?? "none")")
            if change.role != .leader {
                reads.dropUnconfirmed()
            }
        }
        if node.role == .leader {
            monitor.observeLeader(node.id, term: node.term)
            proposeCompactionIfDue(&context)
        }
        monitor.observeTolerated(node.toleratedViolations, by: node.id)
        maybeSnapshot(&context)
    }

    private mutating func apply(_ entry: LogEntry, _ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        monitor.observeApplied(entry, by: node.id)
        guard entry.kind == .normal, !entry.data.isEmpty else { return }
        let decoded: MVCCLabEntry
        do {
            decoded = try MVCCLabEntry(decoding: entry.data)
        } catch {
            // Every replica decodes the same bytes the same way, so skipping
            // keeps them identical; a server never proposes such an entry.
            context.log("n\(id) skipped undecodable entry \(entry.index): \(error)")
            return
        }
        if decoded.clientID == Self.serverSession {
            if stateMachine.applyServerCommand(decoded.command) { compactionsApplied += 1 }
            return
        }
        guard let answer = stateMachine.apply(decoded) else { return }
        if let waiting = waitingWrites[decoded.clientID], waiting.sequence == decoded.sequence {
            waitingWrites[decoded.clientID] = nil
            context.send(.response(sequence: decoded.sequence, .answer(answer)), to: waiting.client)
        }
    }

    private mutating func serveReads(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        for read in reads.takeServable(applied: node.appliedIndex) {
            context.send(.response(sequence: read.request.sequence, .answer(stateMachine.read(read.range))), to: read.client)
        }
    }

    /// Proposes a compaction of the store's history (etcd's
    /// auto-compaction, driven by revisions rather than time).
    private mutating func proposeCompactionIfDue(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        let store = stateMachine.store
        guard store.currentRevision - store.compactedRevision > MVCCRaftScenario.historyRevisionsMax else { return }
        let target = store.currentRevision - MVCCRaftScenario.historyRevisionsKept
        guard target > compactionProposed else { return }
        let entry = MVCCLabEntry(
            clientID: Self.serverSession, sequence: 0, command: .compact(CompactionRequest(revision: target)))
        guard let output = try? node.propose(batch: [ProposedEntry(data: entry.encoded())]) else { return }
        compactionProposed = target
        context.log("n\(id) proposes compaction to \(target)")
        perform(output, &context)
    }

    /// Snapshots the state machine and compacts the Raft log.
    private mutating func maybeSnapshot(_ context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        let applied = node.appliedIndex
        guard applied >= node.snapshotIndex + settings.compactionEntries else { return }
        do {
            let output = try node.compact(upTo: applied, snapshotData: stateMachine.snapshot())
            perform(output, &context)
        } catch {
            context.log("n\(id) could not compact: \(error)")
        }
    }
}
