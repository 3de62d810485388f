import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// A server of the `multi-paxos` scenario: a ``MultiPaxosNode`` driving a
/// ``PaxosLabStateMachine``, performing each output in the order
/// `MultiPaxosOutput` documents. Writes are gathered for
/// `PaxosLabSettings.batchDelay` and proposed as one batch (one slot each);
/// gets are served after a linearizable read (read quorum, or lease when
/// the run declares a clock-drift bound) once the read index is applied;
/// the state machine is snapshotted and the log compacted every
/// `compactionEntries` applied slots.
struct MultiPaxosKVServer: PaxosLabServer {
    typealias Peer = MultiPaxosMessage
    typealias Durable = MultiPaxosDurableState

    static var tickTimer: TimerID { TimerID(1) }
    static var flushTimer: TimerID { TimerID(2) }

    let id: NodeID
    let settings: PaxosLabSettings
    let monitor: PaxosSafetyMonitor
    private(set) var node: MultiPaxosNode
    private var disk: PaxosLabDisk<MultiPaxosDurableState>
    private(set) var machine: PaxosLabStateMachine
    private var waiting = PaxosLabWaitingClients()
    private var batch: [(command: PaxosLabKVCommand, client: NodeID)] = []
    private var reads = PaxosLabPendingReads<(command: PaxosLabKVCommand, client: NodeID)>()
    private(set) var counters = PaxosLabCounters()

    var leads: Bool { node.role == .leader }
    var acceptorAnswers: Int { node.acceptorAnswers }

    init(
        id: NodeID, durable: MultiPaxosDurableState?, configuration: MultiPaxosConfiguration, settings: PaxosLabSettings,
        monitor: PaxosSafetyMonitor, context: inout Context
    ) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let state = durable ?? MultiPaxosDurableState()
        disk = PaxosLabDisk(state)
        machine = (try? PaxosLabStateMachine(snapshot: state.snapshot.data)) ?? PaxosLabStateMachine()
        var own = configuration
        own.id = ReplicaID(id)
        node = MultiPaxosNode(configuration: own, restoring: state, random: SplitMix64(seed: context.random.next()))
        monitor.serverRestarted(id)
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tickInterval)
            perform(node.tick(), &context)
        case Self.flushTimer:
            flush(&context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    mutating func onMessage(_ message: PaxosLabMessage<MultiPaxosMessage>, from: NodeID, context: inout Context) {
        switch message {
        case .peer(let peer):
            perform(node.step(peer), &context)
        case .request(let command) where command.operation.isRead:
            let readContext = reads.nextContext()
            do {
                let output = try node.readIndex(context: readContext)
                reads.awaitIndex(readContext, (command, from))
                perform(output, &context)
            } catch {
                refuse(command, client: from, error, &context)
            }
        case .request(let command):
            if batch.isEmpty { context.setTimer(Self.flushTimer, after: settings.batchDelay) }
            batch.append((command, from))
        case .response:
            break
        }
    }

    private mutating func flush(_ context: inout Context) {
        let flushed = batch
        batch = []
        guard !flushed.isEmpty else { return }
        do {
            let output = try node.propose(batch: flushed.map { $0.command.encoded() })
            for (command, client) in flushed { waiting.wait(command, client: client) }
            perform(output, &context)
        } catch {
            for (command, client) in flushed { refuse(command, client: client, error, &context) }
        }
    }

    private func refuse(_ command: PaxosLabKVCommand, client: NodeID, _ error: MultiPaxosRequestError, _ context: inout Context) {
        var hint: Int?
        if case .notLeader(let leader) = error, let leader { hint = Int(leader) }
        context.send(.response(sequence: command.sequence, .notLeader(leaderHint: hint)), to: client)
    }

    /// Performs an output in the order `MultiPaxosOutput` documents.
    private mutating func perform(_ output: MultiPaxosOutput, _ context: inout Context) {
        if let request = output.persist {
            disk.persist(sequence: request.sequence, &context) { image in
                var storage = MemoryMultiPaxosStorage(image)
                do {
                    try storage.persist(request)
                } catch {
                    preconditionFailure("the in-memory image refused a persist request: \(error)")
                }
                image = storage.state
            }
        }
        for message in output.messages {
            context.send(.peer(message), to: NodeID(message.to))
            counters.peerMessages += 1
            counters.peerPayloadBytes += message.payloadBytes
        }
        if let snapshot = output.snapshotToInstall {
            machine = (try? PaxosLabStateMachine(snapshot: snapshot.data)) ?? PaxosLabStateMachine()
            context.log("n\(id) installed snapshot \(snapshot.index)")
        }
        for entry in output.committedEntries {
            monitor.observeChosen(slot: entry.slot, value: entry.storedData, by: id)
            apply(entry, &context)
        }
        reads.confirmed(output.readStates)
        for read in reads.takeServable(applied: node.appliedIndex) {
            context.send(.response(sequence: read.command.sequence, .result(.value(machine.read(read.command.operation.key)))), to: read.client)
        }
        if let change = output.roleChange {
            context.log("n\(id) \(change.role.rawValue) ballot \(change.ballot) leader \(change.leader.map { "n\($0)" } ?? "none")")
            if change.role != .leader { reads.dropUnconfirmed() }
        }
        monitor.observeTolerated(node.toleratedViolations, by: id)
        maybeCompact(&context)
    }

    private mutating func apply(_ entry: MultiPaxosLogEntry, _ context: inout Context) {
        guard entry.kind == .command else { return }
        guard let command = try? PaxosLabKVCommand(decoding: entry.data) else {
            context.log("n\(id) skipped undecodable slot \(entry.slot)")
            return
        }
        counters.commandsApplied += 1
        guard let result = machine.apply(command) else { return }
        if let client = waiting.take(command) {
            context.send(.response(sequence: command.sequence, .result(result)), to: client)
        }
    }

    private mutating func maybeCompact(_ context: inout Context) {
        let applied = node.appliedIndex
        guard applied >= node.snapshotIndex + settings.compactionEntries else { return }
        do {
            perform(try node.compact(upTo: applied, snapshotData: machine.snapshot()), &context)
        } catch {
            context.log("n\(id) could not compact: \(error)")
        }
    }
}
