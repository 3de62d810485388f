import ConcordSimulation

/// A Paxos-family lab server's side of its simulated disk: it applies every
/// persist request to an in-memory durable image, hands the whole image to
/// the disk, and maps the disk's "durable up to this token" back to the
/// core's persist sequence numbers for `onPersisted`.
struct PaxosLabDisk<Durable: Sendable> {
    /// The durable image: every persist request applied in order.
    private(set) var image: Durable
    private var persistTokens: [(token: PersistToken, sequence: UInt64)] = []

    /// A disk whose image starts as `state` (booted or restored).
    init(_ state: Durable) {
        image = state
    }

    /// Applies a request of the core (`sequence`) to the image with `apply`
    /// and writes the image.
    mutating func persist<Message>(
        sequence: UInt64, _ context: inout NodeContext<Message, Durable>, apply: (inout Durable) -> Void
    ) {
        apply(&image)
        persistTokens.append((context.persist(image), sequence))
    }

    /// The disk synced up to `token`: the highest core sequence now durable,
    /// or nil when that covers no request.
    mutating func durable(upTo token: PersistToken) -> UInt64? {
        var sequence: UInt64 = 0
        while let first = persistTokens.first, first.token <= token {
            sequence = max(sequence, first.sequence)
            persistTokens.removeFirst()
        }
        return sequence > 0 ? sequence : nil
    }
}
