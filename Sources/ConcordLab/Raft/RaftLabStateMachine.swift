import ConcordRaft
import ConcordSimulation

/// The state-machine half of a Raft lab server: what ``RaftLabServerCore``
/// hands installed snapshots, committed entries and served reads to. Each
/// lab (`raft`, `raft-mvcc`) provides one; the core does the rest.
protocol RaftLabStateMachine {
    associatedtype Message: RaftLabServerMessage
    associatedtype Write: RaftLabWrite
    /// A read waiting for its ReadIndex, and then for it to be applied.
    associatedtype Read
    /// A command the leader proposes on its own (not for a client).
    associatedtype LeaderCommand = Never

    typealias Context = NodeContext<Message, RaftDurableState>

    /// Replaces the state with a snapshot's the node installed.
    mutating func install(snapshot: [UInt8], by server: NodeID)

    /// The state's snapshot, for compacting the Raft log.
    func snapshot() -> [UInt8]

    /// Applies a committed normal entry with a non-empty payload.
    ///
    /// - Returns: the write's client session and sequence number and the
    ///   answer for its client, or nil when there is none to give (the
    ///   entry was skipped, was the server's own, or gives no answer).
    mutating func apply(_ entry: LogEntry, by server: NodeID, context: inout Context)
        -> (clientID: UInt64, sequence: UInt64, response: Message)?

    /// The answer to `read`, whose ReadIndex is applied.
    func answer(_ read: Read) -> Message

    /// The command the leader should propose on its own now, with its
    /// payload, or nil when none is due. Asked after every output while the
    /// server leads.
    func dueLeaderCommand() -> (payload: [UInt8], command: LeaderCommand)?

    /// The node accepted the proposal of `command` by this server.
    mutating func proposed(_ command: LeaderCommand, by server: NodeID, context: inout Context)
}

extension RaftLabStateMachine where LeaderCommand == Never {
    func dueLeaderCommand() -> (payload: [UInt8], command: Never)? { nil }

    mutating func proposed(_ command: Never, by server: NodeID, context: inout Context) {}
}
