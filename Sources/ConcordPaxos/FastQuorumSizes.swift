/// The quorum sizes of Fast Paxos (Lamport, "Fast Paxos", 2006, §3.1, the
/// Quorum Requirement): a classic quorum decides classic rounds and
/// recovery, a fast quorum decides a fast round.
///
/// Requirement (a), any two quorums intersect, holds when
/// `2 × classic > n` (a fast quorum is at least as large as a classic one).
/// Requirement (b), any classic quorum and any two fast quorums of one
/// round have an acceptor in common, holds when `classic + 2 × fast > 2n`:
/// then at most one value can have been chosen in a fast round as far as a
/// recovering coordinator's classic quorum can tell (rule O4, §3.2). With
/// majority classic quorums this needs fast quorums of about ⌈3n/4⌉, and a
/// fast round survives only `n - fast` failures where a classic one
/// survives `n - classic` (`failuresTolerated`).
public struct FastQuorumSizes: Sendable, Hashable, CustomStringConvertible {
    /// The number of acceptors.
    public let replicaCount: Int
    /// The size of a classic quorum.
    public let classic: Int
    /// The size of a fast quorum.
    public let fast: Int

    /// Creates sizes, refusing those that break the Quorum Requirement.
    /// - Throws: `QuorumSizeError`.
    public init(replicaCount: Int, classic: Int, fast: Int) throws(QuorumSizeError) {
        try Self.check(replicaCount: replicaCount, classic: classic, fast: fast)
        guard 2 * classic > replicaCount else {
            throw .classicQuorumsDoNotIntersect(classic: classic, replicaCount: replicaCount)
        }
        guard classic + 2 * fast > 2 * replicaCount else {
            throw .fastQuorumTooSmall(classic: classic, fast: fast, replicaCount: replicaCount)
        }
        self.replicaCount = replicaCount
        self.classic = classic
        self.fast = fast
    }

    /// Test-only: sizes that may break requirement (b), for
    /// `PaxosBug.fastQuorumTooSmall`.
    init(unchecked replicaCount: Int, classic: Int, fast: Int) {
        precondition((try? Self.check(replicaCount: replicaCount, classic: classic, fast: fast)) != nil)
        self.replicaCount = replicaCount
        self.classic = classic
        self.fast = fast
    }

    /// Majority classic quorums and the smallest fast quorum that meets
    /// the requirement with them.
    /// - Precondition: `replicaCount` in 1...`QuorumSizes.replicaCountMax`.
    public static func minimal(replicaCount: Int) -> FastQuorumSizes {
        let classic = replicaCount / 2 + 1
        // The least fast with classic + 2 × fast > 2n.
        let fast = min(replicaCount, (2 * replicaCount - classic) / 2 + 1)
        do {
            return try FastQuorumSizes(replicaCount: replicaCount, classic: classic, fast: fast)
        } catch {
            preconditionFailure("minimal fast quorums of \(replicaCount) replicas: \(error)")
        }
    }

    private static func check(replicaCount: Int, classic: Int, fast: Int) throws(QuorumSizeError) {
        guard (1...QuorumSizes.replicaCountMax).contains(replicaCount) else {
            throw .replicaCountOutOfRange(replicaCount)
        }
        guard (1...replicaCount).contains(classic) else {
            throw .quorumOutOfRange(phase: 1, size: classic, replicaCount: replicaCount)
        }
        guard (classic...replicaCount).contains(fast) else {
            throw .quorumOutOfRange(phase: 2, size: fast, replicaCount: replicaCount)
        }
    }

    /// The failures a round of each kind survives: (classic, fast).
    public var failuresTolerated: (classic: Int, fast: Int) { (replicaCount - classic, replicaCount - fast) }

    /// The fewest acceptors with which both classic and fast rounds
    /// survive `failures` failures, and the quorums that do it: the extra
    /// acceptors Fast Paxos needs ("Fast Paxos" §3.5.1). Quorums of
    /// `n - failures` meet both requirements exactly when `n > 3 × failures`,
    /// so Fast Paxos needs `3f + 1` acceptors where classic Paxos needs
    /// `2f + 1` (4 against 3 to survive one failure, 7 against 5 for two).
    public static func replicasNeeded(toTolerate failures: Int) -> FastQuorumSizes {
        precondition(failures >= 0 && 3 * failures + 1 <= QuorumSizes.replicaCountMax, "failures out of range")
        let count = 3 * failures + 1
        do {
            return try FastQuorumSizes(replicaCount: count, classic: count - failures, fast: count - failures)
        } catch {
            preconditionFailure("\(count) replicas with quorums of \(count - failures): \(error)")
        }
    }

    public var description: String { "classic \(classic) fast \(fast) of \(replicaCount)" }
}
