import ConcordSimulation

/// Hands out transaction identifiers that are never reused, even across
/// crashes, without a disk write per transaction.
///
/// Under presumed abort a coordinator that forgot a transaction answers
/// "abort" for it. If it then started a new transaction under the same
/// identifier (say, because the network duplicated a client's request after
/// a restart), a stale vote from the old one could draw an "abort" that a
/// participant applies to the new one, which may commit. So identifiers are
/// reserved in blocks: a block is written to the coordinator's durable state
/// before any identifier from it is used, and a restarted coordinator
/// continues after the last block it reserved.
struct IdentifierReservation: Sendable {
    /// Identifiers reserved by one write.
    static var blockSize: UInt64 { 1_000 }

    /// The next identifier to hand out.
    private(set) var next: UInt64
    /// The highest identifier reserved in memory.
    private(set) var reservedThrough: UInt64
    /// The highest identifier whose reservation is durable.
    private var usableThrough: UInt64
    /// The highest reservation handed to the disk.
    private var writtenThrough: UInt64
    private var pending: [(token: PersistToken, reservedThrough: UInt64)] = []

    /// Starts after the reservation a restarted coordinator found on disk (0 for a fresh one).
    init(durableReservedThrough: UInt64) {
        next = durableReservedThrough + 1
        reservedThrough = durableReservedThrough + Self.blockSize
        usableThrough = durableReservedThrough
        writtenThrough = durableReservedThrough
    }

    /// True when the reservation in memory is ahead of what was handed to the disk.
    var needsWrite: Bool { reservedThrough > writtenThrough }

    /// The next identifier, or nil while none is durably reserved. Reserves
    /// the following block (in memory) when half of the current one is used.
    mutating func take() -> UInt64? {
        guard next <= usableThrough else { return nil }
        let identifier = next
        next += 1
        if reservedThrough - next < Self.blockSize / 2 { reservedThrough += Self.blockSize }
        return identifier
    }

    /// A write carrying `reservedThrough` went to the disk as `token`.
    mutating func wrote(_ token: PersistToken) {
        writtenThrough = reservedThrough
        pending.append((token, reservedThrough))
    }

    /// The write `token` and every earlier one are durable.
    mutating func durable(_ token: PersistToken) {
        while let first = pending.first, first.token <= token {
            usableThrough = max(usableThrough, first.reservedThrough)
            pending.removeFirst()
        }
    }
}
