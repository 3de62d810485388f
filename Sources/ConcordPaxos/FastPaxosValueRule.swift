/// The coordinator's rule for picking the value of a slot from the votes a
/// phase-1 quorum of promises reported ("Fast Paxos" §3.2, rule O4): let k
/// be the highest ballot any of them voted in. When no vote is reported the
/// slot is free; when k was a classic round its value is forced; when k was
/// a fast round, a value v is forced if it may have been chosen — if some
/// fast quorum R has every acceptor of Q ∩ R voting v in k, that is if
/// the acceptors of Q that did not vote v in k are at most `n - fast`.
/// With quorums that meet the Quorum Requirement at most one value may have
/// been chosen; otherwise the slot is free and any proposed value may be
/// picked.
public enum FastPaxosValueRule {
    /// What the rule decides for one slot.
    public enum Pick: Sendable, Hashable {
        /// Nobody in the quorum voted: the slot is free.
        case nothingVoted
        /// This value may have been chosen and must be proposed.
        case forced([[UInt8]])
        /// No value may have been chosen: any may be proposed; these are the
        /// commands the round-k votes carried, first seen first.
        case free(commandsSeen: [[UInt8]])
    }

    /// Applies the rule to the votes the promises of `quorum` (a set of at
    /// least a classic quorum of acceptors) reported for one slot; an
    /// acceptor with no entry in `votes` reported none.
    ///
    /// When several values may have been chosen (only possible with fast
    /// quorums too small for the Quorum Requirement), the coordinator keeps
    /// its own vote if it is one of them, else the one with the most votes
    /// (ties by first appearance).
    public static func pick(
        votes: [ReplicaID: FastPaxosVote], quorum: [ReplicaID], quorums: FastQuorumSizes, coordinator: ReplicaID? = nil
    ) -> Pick {
        let reported = quorum.sorted().compactMap { votes[$0] }
        guard let highest = reported.map(\.ballot).max() else { return .nothingVoted }
        let inHighest = reported.filter { $0.ballot == highest }
        if !inHighest[0].isFast {
            return .forced(inHighest[0].value)
        }
        var order: [[[UInt8]]] = []
        var counts: [[[UInt8]]: Int] = [:]
        for vote in inHighest {
            if counts[vote.value] == nil { order.append(vote.value) }
            counts[vote.value, default: 0] += 1
        }
        let outsideFastQuorum = quorums.replicaCount - quorums.fast
        let possiblyChosen = order.filter { quorum.count - counts[$0]! <= outsideFastQuorum }
        if possiblyChosen.count > 1, let own = coordinator.flatMap({ votes[$0] }), own.ballot == highest,
            possiblyChosen.contains(own.value)
        {
            return .forced(own.value)
        }
        if let mostVoted = possiblyChosen.max(by: { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && order.firstIndex(of: $0)! > order.firstIndex(of: $1)!) }) {
            return .forced(mostVoted)
        }
        var commands: [[UInt8]] = []
        for value in order {
            for command in value where !commands.contains(command) { commands.append(command) }
        }
        return .free(commandsSeen: commands)
    }
}
