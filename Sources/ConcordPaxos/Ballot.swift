/// A ballot (a proposal number, "Paxos Made Simple" §2.2): a round and the
/// replica that owns it. Ballots are totally ordered by round, then by
/// replica, so two proposers never use the same ballot ("different
/// proposers choose their numbers from disjoint sets", §2.5).
///
/// A ballot packs into one `UInt64` (`rawValue`: the round in the high 48
/// bits, the replica in the low 16), in the same order, so that a store
/// built for Raft terms keeps ballots unchanged (docs/paxos.md).
public struct Ballot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The bits of `rawValue` that hold the replica.
    public static let replicaBits: UInt64 = 16
    /// The largest replica id a ballot can hold.
    public static let replicaMax: ReplicaID = (1 << replicaBits) - 1
    /// The largest round a ballot can hold.
    public static let roundMax: UInt64 = (1 << (64 - replicaBits)) - 1
    /// The ballot below every other: nothing promised, nothing accepted.
    public static let zero = Ballot(round: 0, replica: 0)

    /// The round; a proposer retries with a higher one.
    public var round: UInt64
    /// The replica that owns the ballot.
    public var replica: ReplicaID

    /// Creates a ballot.
    /// - Precondition: `round <= roundMax` and `replica <= replicaMax`.
    public init(round: UInt64, replica: ReplicaID) {
        precondition(round <= Self.roundMax, "ballot round \(round) beyond \(Self.roundMax)")
        precondition(replica <= Self.replicaMax, "replica id \(replica) beyond \(Self.replicaMax)")
        self.round = round
        self.replica = replica
    }

    /// The ballot packed by `rawValue`.
    public init(rawValue: UInt64) {
        round = rawValue >> Self.replicaBits
        replica = rawValue & Self.replicaMax
    }

    /// The packed form: ordered as the ballots are.
    public var rawValue: UInt64 { round << Self.replicaBits | replica }

    /// The smallest ballot of `replica` above this one and above `seen`.
    public func next(for replica: ReplicaID, above seen: Ballot = .zero) -> Ballot {
        Ballot(round: Swift.max(round, seen.round) + 1, replica: replica)
    }

    public static func < (lhs: Ballot, rhs: Ballot) -> Bool {
        (lhs.round, lhs.replica) < (rhs.round, rhs.replica)
    }

    public var description: String { "\(round).\(replica)" }
}
