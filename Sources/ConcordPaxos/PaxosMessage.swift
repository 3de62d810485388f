/// A message between replicas of a `PaxosNode` group: one of the messages
/// of "Paxos Made Simple" §2, about the single-decree instance `slot`.
public struct PaxosMessage: Sendable, Hashable, CustomStringConvertible {
    /// The sender.
    public var from: ReplicaID
    /// The receiver.
    public var to: ReplicaID
    /// The instance (log position) the message is about; the first is 1.
    public var slot: UInt64
    /// What the message says.
    public var body: Body

    /// Creates a message.
    public init(from: ReplicaID, to: ReplicaID, slot: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.slot = slot
        self.body = body
    }

    /// The kinds of message.
    public enum Body: Sendable, Hashable {
        /// Proposer to acceptor: phase 1a.
        case prepare(Ballot)
        /// Acceptor to proposer: phase 1b, with the acceptor's last
        /// accepted proposal.
        case promise(Ballot, accepted: AcceptedValue?)
        /// Proposer to acceptor: phase 2a.
        case accept(Ballot, value: [UInt8])
        /// Acceptor to the ballot's owner, the distinguished learner:
        /// phase 2b.
        case accepted(Ballot, value: [UInt8])
        /// Acceptor to proposer: the ballot is refused because a higher one
        /// was promised.
        case reject(Ballot, promised: Ballot)
        /// Learner to replicas: the values chosen in `slot` and the slots
        /// after it, in order.
        case decided([[UInt8]])
    }

    public var description: String {
        let about = "s\(slot)"
        switch body {
        case .prepare(let ballot): return "prepare \(about) b\(ballot)"
        case .promise(let ballot, let accepted):
            return "promise \(about) b\(ballot)" + (accepted.map { " accepted b\($0.ballot) \($0.value.count)B" } ?? "")
        case .accept(let ballot, let value): return "accept \(about) b\(ballot) \(value.count)B"
        case .accepted(let ballot, _): return "accepted \(about) b\(ballot)"
        case .reject(let ballot, let promised): return "reject \(about) b\(ballot) promised b\(promised)"
        case .decided(let values): return "decided \(about) +\(values.count)"
        }
    }

    /// The payload bytes the message carries (values), for message-size
    /// accounting.
    public var payloadBytes: Int {
        switch body {
        case .prepare, .reject: 0
        case .promise(_, let accepted): accepted?.value.count ?? 0
        case .accept(_, let value), .accepted(_, let value): value.count
        case .decided(let values): values.reduce(0) { $0 + $1.count }
        }
    }
}
