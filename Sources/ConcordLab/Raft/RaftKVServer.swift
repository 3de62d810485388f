import ConcordRaft
import ConcordSimulation

/// A Raft server of the key-value lab: the shared ``RaftLabServerCore``
/// (which performs the node's outputs in the order `RaftOutput` documents
/// and batches proposals) driving a ``KVStateMachine``. Reads go through
/// ReadIndex; writes are batched and proposed.
struct RaftKVServer {
    private var core: RaftLabServerCore<Replica>

    var node: RaftNode { core.node }
    var stateMachine: KVStateMachine { core.stateMachine.machine }
    /// Committed commands applied, for the benchmark.
    var appliedCommands: Int { core.stateMachine.appliedCommands }
    /// Raft messages sent, for the benchmark.
    var messagesSent: Int { core.messagesSent }

    init(id: NodeID, durable: RaftDurableState?, settings: RaftLabSettings, monitor: RaftSafetyMonitor, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        let deduplicates = !settings.raft.testingBugs.contains(.applyRetriedCommandTwice)
        core = RaftLabServerCore(id: id, durable: durable, settings: settings, monitor: monitor, context: &context) { snapshot in
            Replica(snapshot: snapshot, deduplicates: deduplicates)
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        core.onTimer(timer, context: &context)
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        core.onDurable(token, context: &context)
    }

    mutating func onMessage(_ message: RaftLabMessage, from: NodeID, context: inout NodeContext<RaftLabMessage, RaftDurableState>) {
        switch message {
        case .raft(let raftMessage):
            core.step(raftMessage, &context)
        case .request(let command) where command.operation.isRead:
            core.read(command, sequence: command.sequence, from: from, &context)
        case .request(let command):
            core.enqueue(command, from: from, &context)
        case .response:
            break
        }
    }

    /// The key-value state machine as the core drives it.
    struct Replica: RaftLabStateMachine {
        typealias Message = RaftLabMessage
        typealias Write = KVCommand
        /// A read is its request.
        typealias Read = KVCommand

        private(set) var machine: KVStateMachine
        /// Committed commands applied, for the benchmark.
        private(set) var appliedCommands = 0

        /// A state machine restored from `snapshot`, or empty when it does
        /// not decode.
        init(snapshot: [UInt8], deduplicates: Bool) {
            machine = Self.restore(snapshot, deduplicates: deduplicates)
        }

        private static func restore(_ snapshot: [UInt8], deduplicates: Bool) -> KVStateMachine {
            var machine = (try? KVStateMachine(snapshot: snapshot)) ?? KVStateMachine()
            machine.deduplicates = deduplicates
            return machine
        }

        mutating func install(snapshot: [UInt8], by server: NodeID) {
            machine = Self.restore(snapshot, deduplicates: machine.deduplicates)
        }

        func snapshot() -> [UInt8] {
            machine.snapshot()
        }

        mutating func apply(_ entry: LogEntry, by server: NodeID, context: inout Context)
            -> (clientID: UInt64, sequence: UInt64, response: RaftLabMessage)?
        {
            guard let command = try? KVCommand(decoding: entry.data) else {
                context.log("n\(server) skipped undecodable entry \(entry.index)")
                return nil
            }
            appliedCommands += 1
            guard let result = machine.apply(command) else { return nil }
            return (command.clientID, command.sequence, .response(sequence: command.sequence, .result(result)))
        }

        func answer(_ read: KVCommand) -> RaftLabMessage {
            .response(sequence: read.sequence, .result(.value(machine.read(read.operation.key))))
        }
    }
}

extension RaftLabMessage: RaftLabServerMessage {
    static func notLeader(sequence: UInt64, leaderHint: Int?) -> RaftLabMessage {
        .response(sequence: sequence, .notLeader(leaderHint: leaderHint))
    }
}

extension KVCommand: RaftLabWrite {}
