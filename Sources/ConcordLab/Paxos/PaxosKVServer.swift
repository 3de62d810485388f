import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// A server of the `paxos` scenario: a ``PaxosNode`` (a leaderless log of
/// single-decree instances) driving a ``PaxosLabStateMachine``. Every client
/// request, reads included, goes through the log: the server gathers the
/// requests that arrive while its previous batch is still being decided and
/// proposes them as one value; when a slot's value is learned it applies
/// the commands in it and answers the clients that asked this server.
struct PaxosKVServer: PaxosLabServer {
    typealias Peer = PaxosMessage
    typealias Durable = PaxosDurableState

    static var tickTimer: TimerID { TimerID(1) }
    static var flushTimer: TimerID { TimerID(2) }

    let id: NodeID
    let settings: PaxosLabSettings
    let monitor: PaxosSafetyMonitor
    private(set) var node: PaxosNode
    private var disk: PaxosLabDisk<PaxosDurableState>
    private(set) var machine = PaxosLabStateMachine()
    private var waiting = PaxosLabWaitingClients()
    private var batch: [PaxosLabKVCommand] = []
    private var flushArmed = false
    private(set) var counters = PaxosLabCounters()

    var leads: Bool { false }
    var acceptorAnswers: Int { node.acceptorAnswers }

    init(
        id: NodeID, durable: PaxosDurableState?, configuration: PaxosConfiguration, settings: PaxosLabSettings,
        monitor: PaxosSafetyMonitor, context: inout Context
    ) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let state = durable ?? PaxosDurableState()
        disk = PaxosLabDisk(state)
        var own = configuration
        own.id = ReplicaID(id)
        node = PaxosNode(configuration: own, restoring: state, random: SplitMix64(seed: context.random.next()))
        monitor.serverRestarted(id)
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.tickTimer:
            context.setTimer(Self.tickTimer, after: settings.tickInterval)
            perform(node.tick(), &context)
        case Self.flushTimer:
            flushArmed = false
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

    mutating func onMessage(_ message: PaxosLabMessage<PaxosMessage>, from: NodeID, context: inout Context) {
        switch message {
        case .peer(let peer):
            perform(node.step(peer), &context)
        case .request(let command):
            waiting.wait(command, client: from)
            if !batch.contains(where: { $0.clientID == command.clientID && $0.sequence == command.sequence }) {
                batch.append(command)
            }
            if node.pendingValueCount == 0 { armFlush(&context) }
        case .response:
            break
        }
    }

    private mutating func armFlush(_ context: inout Context) {
        guard !flushArmed, !batch.isEmpty else { return }
        flushArmed = true
        context.setTimer(Self.flushTimer, after: settings.batchDelay)
    }

    /// Proposes the gathered commands as one value once the node has no
    /// value of its own waiting; otherwise keeps gathering (the next output
    /// that leaves the node idle arms the flush again).
    private mutating func flush(_ context: inout Context) {
        guard !batch.isEmpty, node.pendingValueCount == 0 else { return }
        let commands = batch
        batch = []
        do {
            perform(try node.propose(PaxosLabCommands.encode(commands)), &context)
        } catch {
            context.log("n\(id) could not propose: \(error)")
        }
    }

    private mutating func perform(_ output: PaxosOutput, _ context: inout Context) {
        if let request = output.persist {
            disk.persist(sequence: request.sequence, &context) { $0.apply(request) }
        }
        for message in output.messages {
            context.send(.peer(message), to: NodeID(message.to))
            counters.peerMessages += 1
            counters.peerPayloadBytes += message.payloadBytes
        }
        for chosen in output.chosen {
            monitor.observeChosen(slot: chosen.slot, value: chosen.value, by: id)
            apply(chosen, &context)
        }
        monitor.observeTolerated(node.toleratedViolations, by: id)
        if node.pendingValueCount == 0 { armFlush(&context) }
    }

    private mutating func apply(_ chosen: ChosenValue, _ context: inout Context) {
        let commands: [PaxosLabKVCommand]
        do {
            commands = try PaxosLabCommands.decode(chosen.value)
        } catch {
            context.log("n\(id) skipped undecodable slot \(chosen.slot): \(error)")
            return
        }
        for command in commands {
            counters.commandsApplied += 1
            guard let result = machine.apply(command) else { continue }
            if let client = waiting.take(command) {
                context.send(.response(sequence: command.sequence, .result(result)), to: client)
            }
        }
    }
}
