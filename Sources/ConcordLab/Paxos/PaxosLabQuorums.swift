import ConcordFoundation
import ConcordPaxos

/// How the Paxos scenarios draw their quorum sizes from the seed (swarm
/// testing): majorities in most runs, flexible sizes that intersect in
/// some, and under `PaxosBug.nonIntersectingQuorums` a pair whose sizes add
/// up to the group size only.
enum PaxosLabQuorums {
    /// The drawn sizes; nil for majorities.
    static func draw(servers count: Int, bug: PaxosBug?, random: inout SeededRandom) -> (phaseOne: Int, phaseTwo: Int)? {
        if bug == .nonIntersectingQuorums {
            let phaseOne = 1 + random.index(below: count - 1)
            return (phaseOne, count - phaseOne)
        }
        guard random.chance(perMillion: 300_000) else { return nil }
        let phaseOne = 1 + random.index(below: count)
        let smallest = count - phaseOne + 1
        let phaseTwo = min(count, smallest + random.index(below: 2))
        return (phaseOne, phaseTwo)
    }

    /// True when a majority cannot serve these sizes, so the liveness phase
    /// must heal every server.
    static func needsEveryServer(_ sizes: (phaseOne: Int, phaseTwo: Int)?, servers count: Int) -> Bool {
        guard let sizes else { return false }
        return max(sizes.phaseOne, sizes.phaseTwo) > count / 2 + 1
    }

    static func describe(_ sizes: (phaseOne: Int, phaseTwo: Int)?) -> String {
        sizes.map { "|Q1| \($0.phaseOne) |Q2| \($0.phaseTwo)" } ?? "majority quorums"
    }

    /// The bug named `name` among `known`, or a verdict refusing it.
    static func parseBug(_ name: String?, known: [PaxosBug]) -> Result<PaxosBug?, UnknownBug> {
        guard let name else { return .success(nil) }
        guard let bug = PaxosBug(rawValue: name), known.contains(bug) else {
            return .failure(UnknownBug(verdict: "unknown bug \(name); known: \(known.map(\.rawValue).joined(separator: ", "))"))
        }
        return .success(bug)
    }

    /// A bug name a scenario does not know.
    struct UnknownBug: Error {
        var verdict: String
    }
}
