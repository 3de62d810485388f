import ConcordFoundation
import ConcordPaxos
import ConcordSimulation

/// A server of the `fast-paxos` scenario: a ``FastPaxosNode`` driving a
/// ``PaxosLabStateMachine``. Clients send every request (reads included, which go
/// through the log) to every server; each server hands it to its node,
/// which votes for it in a fast round (or, coordinating a classic round,
/// proposes it; or, campaigning, holds it). Every server records who waits
/// for which request; the coordinator answers once it applies the command.
struct FastPaxosKVServer: PaxosLabServer {
    typealias Peer = FastPaxosMessage
    typealias Durable = FastPaxosDurableState

    static var tickTimer: TimerID { TimerID(1) }

    let id: NodeID
    let settings: PaxosLabSettings
    let monitor: PaxosSafetyMonitor
    private(set) var node: FastPaxosNode
    private var disk: PaxosLabDisk<FastPaxosDurableState>
    private(set) var machine = PaxosLabStateMachine()
    private var waiting = PaxosLabWaitingClients()
    private(set) var counters = PaxosLabCounters()

    var leads: Bool { node.role == .coordinator }
    var acceptorAnswers: Int { node.acceptorAnswers }

    init(
        id: NodeID, durable: FastPaxosDurableState?, configuration: FastPaxosConfiguration, settings: PaxosLabSettings,
        monitor: PaxosSafetyMonitor, context: inout Context
    ) {
        self.id = id
        self.settings = settings
        self.monitor = monitor
        let state = durable ?? FastPaxosDurableState()
        disk = PaxosLabDisk(state)
        var own = configuration
        own.id = ReplicaID(id)
        node = FastPaxosNode(configuration: own, restoring: state, random: SplitMix64(seed: context.random.next()))
        monitor.serverRestarted(id)
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
    }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        guard timer == Self.tickTimer else { return }
        context.setTimer(Self.tickTimer, after: settings.tickInterval)
        perform(node.tick(), &context)
    }

    mutating func onDurable(_ token: PersistToken, context: inout Context) {
        if let sequence = disk.durable(upTo: token) {
            perform(node.onPersisted(upTo: sequence), &context)
        }
    }

    mutating func onMessage(_ message: PaxosLabMessage<FastPaxosMessage>, from: NodeID, context: inout Context) {
        switch message {
        case .peer(let peer):
            perform(node.step(peer), &context)
        case .request(let command):
            waiting.wait(command, client: from)
            // A replica that takes no command now leaves it to the others:
            // the client sent it to every server.
            if let output = try? node.propose(command.encoded()) {
                perform(output, &context)
            }
        case .response:
            break
        }
    }

    private mutating func perform(_ output: FastPaxosOutput, _ context: inout Context) {
        if let request = output.persist {
            disk.persist(sequence: request.sequence, &context) { $0.apply(request) }
        }
        for message in output.messages {
            context.send(.peer(message), to: NodeID(message.to))
            counters.peerMessages += 1
            counters.peerPayloadBytes += message.payloadBytes
        }
        for decision in output.chosen {
            monitor.observeChosen(slot: decision.slot, value: PaxosLabCommands.canonical(decision.value), by: id)
            apply(decision, &context)
        }
        if let change = output.roleChange {
            context.log("n\(id) \(change.role.rawValue) ballot \(change.ballot)\(change.isFast ? " fast" : "") coordinator \(change.coordinator.map { "n\($0)" } ?? "none")")
        }
        monitor.observeTolerated(node.toleratedViolations, by: id)
    }

    private mutating func apply(_ decision: FastPaxosDecision, _ context: inout Context) {
        for encoded in decision.value {
            guard let command = try? PaxosLabKVCommand(decoding: encoded) else {
                context.log("n\(id) skipped an undecodable command in slot \(decision.slot)")
                continue
            }
            counters.commandsApplied += 1
            guard let result = machine.apply(command) else { continue }
            if node.role == .coordinator, let client = waiting.take(command) {
                context.send(.response(sequence: command.sequence, .result(result)), to: client)
            }
        }
    }
}
