import ConcordKV
import ConcordRaft
import ConcordSimulation

/// A Raft server of the MVCC lab: the shared ``RaftLabServerCore`` (which
/// performs the node's outputs in the order `RaftOutput` documents and
/// batches proposals, as for the Raft lab's key-value server) driving an
/// ``MVCCStateMachine`` whose log carries `KVCommand`s. Writes are checked
/// with the store's `validate` before they are proposed, as etcd's server
/// does.
///
/// The leader also compacts the store's history through the log (as
/// etcd's periodic auto-compaction does) once it holds more than
/// `MVCCRaftScenario.historyRevisionsMax` revisions.
struct MVCCKVServer {
    /// The session of commands the server proposes itself (compactions):
    /// they bypass the session table.
    static let serverSession: UInt64 = 0

    private var core: RaftLabServerCore<Replica>

    var node: RaftNode { core.node }
    var stateMachine: MVCCStateMachine { core.stateMachine.machine }
    /// MVCC compactions applied, for the report.
    var compactionsApplied: Int { core.stateMachine.compactionsApplied }

    init(
        id: NodeID, durable: RaftDurableState?, settings: RaftLabSettings, monitor: RaftSafetyMonitor, bug: MVCCLabBug?,
        context: inout NodeContext<MVCCLabMessage, RaftDurableState>
    ) {
        core = RaftLabServerCore(id: id, durable: durable, settings: settings, monitor: monitor, context: &context) { snapshot in
            do {
                return Replica(machine: try MVCCStateMachine(snapshot: snapshot, bug: bug), bug: bug)
            } catch {
                preconditionFailure("n\(id) could not restore its own snapshot: \(error)")
            }
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        core.onTimer(timer, context: &context)
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        core.onDurable(token, context: &context)
    }

    mutating func onMessage(_ message: MVCCLabMessage, from: NodeID, context: inout NodeContext<MVCCLabMessage, RaftDurableState>) {
        switch message {
        case .raft(let raftMessage):
            core.step(raftMessage, &context)
        case .request(let request):
            switch request.body {
            case .range(let range):
                core.read((request, range), sequence: request.sequence, from: from, &context)
            case .write(let command):
                do {
                    try core.stateMachine.machine.store.validate(command)
                } catch {
                    context.send(.response(sequence: request.sequence, .answer(.refused(error))), to: from)
                    return
                }
                core.enqueue(MVCCLabEntry(clientID: request.clientID, sequence: request.sequence, command: command), from: from, &context)
            }
        case .response:
            break
        }
    }

    /// The MVCC state machine as the core drives it, with the leader's
    /// history compaction.
    struct Replica: RaftLabStateMachine {
        typealias Message = MVCCLabMessage
        typealias Write = MVCCLabEntry
        typealias Read = (request: MVCCLabRequest, range: RangeRequest)
        /// A compaction's target revision.
        typealias LeaderCommand = Int64

        let bug: MVCCLabBug?
        private(set) var machine: MVCCStateMachine
        /// The highest compaction revision this server proposed.
        private var compactionProposed: Int64 = 0
        /// MVCC compactions applied, for the report.
        private(set) var compactionsApplied = 0

        init(machine: MVCCStateMachine, bug: MVCCLabBug?) {
            self.machine = machine
            self.bug = bug
        }

        mutating func install(snapshot: [UInt8], by server: NodeID) {
            do {
                machine = try MVCCStateMachine(snapshot: snapshot, bug: bug)
            } catch {
                preconditionFailure("n\(server) received a snapshot it cannot restore: \(error)")
            }
        }

        func snapshot() -> [UInt8] {
            machine.snapshot()
        }

        mutating func apply(_ entry: LogEntry, by server: NodeID, context: inout Context)
            -> (clientID: UInt64, sequence: UInt64, response: MVCCLabMessage)?
        {
            let decoded: MVCCLabEntry
            do {
                decoded = try MVCCLabEntry(decoding: entry.data)
            } catch {
                // Every replica decodes the same bytes the same way, so skipping
                // keeps them identical; a server never proposes such an entry.
                context.log("n\(server) skipped undecodable entry \(entry.index): \(error)")
                return nil
            }
            if decoded.clientID == MVCCKVServer.serverSession {
                if machine.applyServerCommand(decoded.command) { compactionsApplied += 1 }
                return nil
            }
            guard let answer = machine.apply(decoded) else { return nil }
            return (decoded.clientID, decoded.sequence, .response(sequence: decoded.sequence, .answer(answer)))
        }

        func answer(_ read: Read) -> MVCCLabMessage {
            .response(sequence: read.request.sequence, .answer(machine.read(read.range)))
        }

        /// A compaction of the store's history when one is due (etcd's
        /// auto-compaction, driven by revisions rather than time).
        func dueLeaderCommand() -> (payload: [UInt8], command: Int64)? {
            let store = machine.store
            guard store.currentRevision - store.compactedRevision > MVCCRaftScenario.historyRevisionsMax else { return nil }
            let target = store.currentRevision - MVCCRaftScenario.historyRevisionsKept
            guard target > compactionProposed else { return nil }
            let entry = MVCCLabEntry(
                clientID: MVCCKVServer.serverSession, sequence: 0, command: .compact(CompactionRequest(revision: target)))
            return (entry.encoded(), target)
        }

        mutating func proposed(_ target: Int64, by server: NodeID, context: inout Context) {
            compactionProposed = target
            context.log("n\(server) proposes compaction to \(target)")
        }
    }
}

extension MVCCLabMessage: RaftLabServerMessage {
    static func notLeader(sequence: UInt64, leaderHint: Int?) -> MVCCLabMessage {
        .response(sequence: sequence, .notLeader(leaderHint: leaderHint))
    }
}

extension MVCCLabEntry: RaftLabWrite {}
