import ConcordFoundation
import DequeModule

/// The replicated duplicate filter: the ids of the last proposals applied,
/// so that a proposal that reaches the log twice (its proposer retried it
/// after a leader change, not knowing whether the first copy survived) is
/// applied once.
///
/// Every replica applies the same log, so every replica holds the same
/// filter; snapshots carry it, so a replica restored from one filters the
/// same way.
///
/// Invariant: a proposer retries a proposal only while its client waits
/// (at most the request timeout), so the filter needs to remember at least
/// as many proposals as the cluster applies in that time. The capacity is
/// `ServerCoreConfiguration.appliedProposalsRemembered`.
struct AppliedProposals: Sendable, Hashable {
    private(set) var order: Deque<ProposalID> = []
    private var members: Set<ProposalID> = []
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "the duplicate filter needs room for at least one proposal")
        self.capacity = capacity
    }

    /// Records `id`.
    /// - Returns: false when `id` was applied before (the entry is a duplicate).
    mutating func insert(_ id: ProposalID) -> Bool {
        guard members.insert(id).inserted else { return false }
        order.append(id)
        if order.count > capacity {
            members.remove(order.removeFirst())
        }
        return true
    }

    /// Layout: a count (4 bytes), then each id oldest first as proposer and
    /// request (8 bytes each).
    func write(to writer: inout BinaryWriter) {
        writer.writeFixed(UInt32(order.count))
        for id in order {
            writer.writeFixed(id.proposer)
            writer.writeFixed(id.request)
        }
    }

    init(reading reader: inout BinaryReader, capacity: Int) throws(WireError) {
        self.init(capacity: capacity)
        let count = try reader.wireItemCount(minimumBytes: 16, of: "applied proposal")
        for _ in 0..<count {
            let id = ProposalID(proposer: try reader.wireUInt64(), request: try reader.wireUInt64())
            guard insert(id) else { throw .invalid("applied proposal \(id) listed twice") }
        }
    }

    static func == (left: AppliedProposals, right: AppliedProposals) -> Bool {
        left.order == right.order
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(order.count)
        hasher.combine(order.last)
    }
}
