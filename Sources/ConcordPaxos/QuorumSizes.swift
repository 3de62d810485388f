/// The sizes of the two kinds of quorum of a Paxos group of `replicaCount`
/// acceptors: phase 1 (prepare and promise, leader election) and phase 2
/// (accept and accepted, replication).
///
/// Flexible Paxos (Howard, Malkhi and Spiegelman, 2016) shows that only
/// quorums of different phases need to intersect: every phase-1 quorum
/// must meet every phase-2 quorum, so that a new leader's phase 1 hears of
/// every value an earlier phase 2 may have chosen. With quorums counted by
/// size that is `phaseOne + phaseTwo > replicaCount`; majorities are the
/// special case where both are `replicaCount / 2 + 1`. Sizes that do not
/// intersect are refused.
public struct QuorumSizes: Sendable, Hashable, CustomStringConvertible {
    /// The largest group these sizes describe.
    public static let replicaCountMax = 64

    /// The number of acceptors.
    public let replicaCount: Int
    /// The promises a candidate needs (phase 1).
    public let phaseOne: Int
    /// The acceptances that choose a value (phase 2).
    public let phaseTwo: Int

    /// Creates quorum sizes, refusing those that do not intersect.
    /// - Throws: `QuorumSizeError` when a size is out of range or
    ///   `phaseOne + phaseTwo <= replicaCount`.
    public init(replicaCount: Int, phaseOne: Int, phaseTwo: Int) throws(QuorumSizeError) {
        try Self.check(replicaCount: replicaCount, phaseOne: phaseOne, phaseTwo: phaseTwo)
        guard phaseOne + phaseTwo > replicaCount else {
            throw .quorumsDoNotIntersect(phaseOne: phaseOne, phaseTwo: phaseTwo, replicaCount: replicaCount)
        }
        self.replicaCount = replicaCount
        self.phaseOne = phaseOne
        self.phaseTwo = phaseTwo
    }

    /// Test-only: sizes that may not intersect, for `PaxosBug.nonIntersectingQuorums`.
    /// The sizes must still lie in 1...replicaCount.
    init(nonIntersecting replicaCount: Int, phaseOne: Int, phaseTwo: Int) {
        precondition((try? Self.check(replicaCount: replicaCount, phaseOne: phaseOne, phaseTwo: phaseTwo)) != nil)
        self.replicaCount = replicaCount
        self.phaseOne = phaseOne
        self.phaseTwo = phaseTwo
    }

    /// Majorities for both phases.
    /// - Precondition: `replicaCount` in 1...`replicaCountMax`.
    public static func majority(replicaCount: Int) -> QuorumSizes {
        let majority = replicaCount / 2 + 1
        do {
            return try QuorumSizes(replicaCount: replicaCount, phaseOne: majority, phaseTwo: majority)
        } catch {
            preconditionFailure("majority quorums of \(replicaCount) replicas: \(error)")
        }
    }

    private static func check(replicaCount: Int, phaseOne: Int, phaseTwo: Int) throws(QuorumSizeError) {
        guard (1...replicaCountMax).contains(replicaCount) else { throw .replicaCountOutOfRange(replicaCount) }
        guard (1...replicaCount).contains(phaseOne) else {
            throw .quorumOutOfRange(phase: 1, size: phaseOne, replicaCount: replicaCount)
        }
        guard (1...replicaCount).contains(phaseTwo) else {
            throw .quorumOutOfRange(phase: 2, size: phaseTwo, replicaCount: replicaCount)
        }
    }

    /// The acknowledgements a leader needs to serve a linearizable read
    /// without the log: a set that meets every phase-1 quorum, so that no
    /// other leader can have been elected unseen (`replicaCount - phaseOne + 1`).
    public var readQuorum: Int { replicaCount - phaseOne + 1 }

    /// The acceptors that may fail while a leader can still be elected and
    /// values chosen.
    public var failuresTolerated: Int { replicaCount - Swift.max(phaseOne, phaseTwo) }

    public var description: String { "|Q1| \(phaseOne) |Q2| \(phaseTwo) of \(replicaCount)" }
}

/// Why quorum sizes were refused.
public enum QuorumSizeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The group size is outside 1...`QuorumSizes.replicaCountMax`.
    case replicaCountOutOfRange(Int)
    /// A quorum size is outside 1...replicaCount.
    case quorumOutOfRange(phase: Int, size: Int, replicaCount: Int)
    /// `phaseOne + phaseTwo <= replicaCount`: a phase-1 quorum could miss
    /// every acceptor of a phase-2 quorum.
    case quorumsDoNotIntersect(phaseOne: Int, phaseTwo: Int, replicaCount: Int)
    /// Fast Paxos: two classic quorums could be disjoint (`2 × classic <= n`).
    case classicQuorumsDoNotIntersect(classic: Int, replicaCount: Int)
    /// Fast Paxos: a classic quorum and two fast quorums could have no
    /// acceptor in common (`classic + 2 × fast <= 2n`).
    case fastQuorumTooSmall(classic: Int, fast: Int, replicaCount: Int)

    public var description: String {
        switch self {
        case .replicaCountOutOfRange(let count):
            "a group of \(count) replicas is outside 1...\(QuorumSizes.replicaCountMax)"
        case .quorumOutOfRange(let phase, let size, let count):
            "a phase-\(phase) quorum of \(size) is outside 1...\(count) for \(count) replicas"
        case .quorumsDoNotIntersect(let one, let two, let count):
            "|Q1| \(one) + |Q2| \(two) = \(one + two) is not more than \(count) replicas: a leader elected by one phase-1 quorum could miss a value chosen by a disjoint phase-2 quorum (Flexible Paxos requires |Q1| + |Q2| > n)"
        case .classicQuorumsDoNotIntersect(let classic, let count):
            "two classic quorums of \(classic) out of \(count) replicas could be disjoint (need 2 × classic > n)"
        case .fastQuorumTooSmall(let classic, let fast, let count):
            "a fast quorum of \(fast) with classic quorums of \(classic) out of \(count) replicas is too small: a classic quorum and two fast quorums could have no acceptor in common (Fast Paxos needs classic + 2 × fast > 2n, here \(classic + 2 * fast) <= \(2 * count))"
        }
    }
}

extension QuorumSizes {
    /// The largest value that at least `count` of `values` have reached
    /// (the `count`-th largest), or 0 when there are fewer values: for
    /// example the highest slot a phase-2 quorum has accepted, given each
    /// acceptor's highest agreed slot.
    public static func value(reachedBy count: Int, of values: [UInt64]) -> UInt64 {
        guard count > 0, values.count >= count else { return 0 }
        return values.sorted(by: >)[count - 1]
    }
}
