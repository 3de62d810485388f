import ConcordFoundation

/// One slot of a Multi-Paxos log: the value an acceptor accepted there and
/// the ballot it accepted it in ("Paxos Made Simple" §3).
public struct MultiPaxosLogEntry: Sendable, Hashable {
    /// What the slot holds.
    public enum Kind: UInt8, Sendable, Hashable {
        /// Nothing accepted yet: a hole below a later accepted slot.
        case vacant = 0
        /// An application command.
        case command = 1
        /// A no-op a new leader proposes to fill a gap (§3).
        case noop = 2
    }

    /// The slot; the first is 1.
    public var slot: UInt64
    /// The ballot the value was accepted in (`.zero` for a vacant slot).
    public var ballot: Ballot
    /// What `data` holds.
    public var kind: Kind
    /// The command's bytes (empty for a no-op or a vacant slot).
    public var data: [UInt8]

    /// Creates an entry.
    public init(slot: UInt64, ballot: Ballot, kind: Kind = .command, data: [UInt8] = []) {
        self.slot = slot
        self.ballot = ballot
        self.kind = kind
        self.data = data
    }

    /// A vacant slot.
    public static func vacant(_ slot: UInt64) -> MultiPaxosLogEntry {
        MultiPaxosLogEntry(slot: slot, ballot: .zero, kind: .vacant)
    }

    /// The bytes the entry counts for in message limits.
    public var payloadBytes: Int { data.count }

    /// True when `other` holds the same value (whatever the ballot).
    public func hasSameValue(as other: MultiPaxosLogEntry) -> Bool {
        kind == other.kind && data == other.data
    }

    /// The entry in a Raft-shaped log store (docs/paxos.md): the slot is
    /// the index, `ballot.rawValue` the term, and the stored data is the
    /// kind byte followed by the command.
    public var storedData: [UInt8] {
        var writer = BinaryWriter(capacity: data.count + 1)
        writer.writeByte(kind.rawValue)
        writer.writeRaw(data)
        return writer.take()
    }

    /// Reads an entry back from a Raft-shaped log store.
    /// - Throws: `BinaryDecodingError` for an empty or unknown kind byte,
    ///   or a vacant or no-op entry that carries data.
    public init(slot: UInt64, storedTerm: UInt64, storedData: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(storedData)
        let tag = try reader.readByte()
        guard let kind = Kind(rawValue: tag) else { throw .invalidValue("entry kind \(tag)", offset: 0) }
        let data = Array(reader.readRest())
        if kind != .command && !data.isEmpty {
            throw .invalidValue("a \(kind) entry with \(data.count) bytes of data", offset: 1)
        }
        self.init(slot: slot, ballot: Ballot(rawValue: storedTerm), kind: kind, data: data)
    }
}
