/// The learner of one single-decree Paxos instance ("Paxos Made Simple"
/// §2.3): a value is chosen once a phase-2 quorum of acceptors accepted it
/// in the same ballot. Acceptances of different ballots never add up.
public struct Learner: Sendable, Hashable {
    /// The quorum sizes.
    public let quorums: QuorumSizes
    /// The value learned, once chosen.
    public private(set) var chosen: [UInt8]?
    /// The acceptances heard of, by ballot.
    private var acceptances: [Ballot: (value: [UInt8], acceptors: Set<ReplicaID>)] = [:]

    /// Creates a learner that has heard nothing.
    public init(quorums: QuorumSizes) {
        self.quorums = quorums
    }

    /// Counts that `acceptor` accepted `value` in `ballot`. Returns the
    /// value when this acceptance makes it chosen (once).
    public mutating func receiveAccepted(from acceptor: ReplicaID, ballot: Ballot, value: [UInt8]) -> [UInt8]? {
        guard chosen == nil else { return nil }
        var tally = acceptances[ballot] ?? (value, [])
        // One proposer proposes one value per ballot: a different value in
        // the same ballot is not this proposal's.
        guard tally.value == value else { return nil }
        tally.acceptors.insert(acceptor)
        acceptances[ballot] = tally
        guard tally.acceptors.count >= quorums.phaseTwo else { return nil }
        chosen = value
        acceptances = [:]
        return value
    }

    /// Records a value learned from another learner.
    public mutating func learn(_ value: [UInt8]) {
        chosen = value
        acceptances = [:]
    }

    public static func == (lhs: Learner, rhs: Learner) -> Bool {
        lhs.quorums == rhs.quorums && lhs.chosen == rhs.chosen
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(quorums)
        hasher.combine(chosen)
    }
}
