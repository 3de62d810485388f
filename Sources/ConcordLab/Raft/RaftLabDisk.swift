import ConcordRaft
import ConcordSimulation

/// A Raft lab server's side of its simulated disk, shared by both labs'
/// servers: it applies every persist request to an in-memory durable image,
/// hands the image to the disk, and maps the disk's "durable up to this
/// token" back to the node's persist sequence numbers for `onPersisted`.
struct RaftLabDisk {
    /// The durable image: every persist request applied in order. What the
    /// disk holds once the latest request is synced.
    private var image: MemoryRaftStorage
    /// Persist tokens handed to the disk, with the node's sequence numbers.
    private var persistTokens: [(token: PersistToken, sequence: UInt64)] = []

    /// A disk whose image starts as `state` (booted or restored).
    init(_ state: RaftDurableState) {
        image = MemoryRaftStorage(state)
    }

    /// Writes a booting server's founding state, which no node request
    /// covers (sequence 0).
    mutating func persistFounding<Message>(_ state: RaftDurableState, _ context: inout NodeContext<Message, RaftDurableState>) {
        persistTokens.append((context.persist(state), 0))
    }

    /// Applies the node's persist request to the image and writes the image.
    mutating func persist<Message>(_ request: PersistRequest, _ context: inout NodeContext<Message, RaftDurableState>) {
        do {
            try image.persist(request)
        } catch {
            preconditionFailure("the in-memory image refused a persist request: \(error)")
        }
        persistTokens.append((context.persist(image.state), request.sequence))
    }

    /// The disk synced up to `token`: the highest node sequence now durable,
    /// or nil when that covers no node request.
    mutating func durable(upTo token: PersistToken) -> UInt64? {
        var sequence: UInt64 = 0
        while let first = persistTokens.first, first.token <= token {
            sequence = max(sequence, first.sequence)
            persistTokens.removeFirst()
        }
        return sequence > 0 ? sequence : nil
    }
}
