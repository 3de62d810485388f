import ConcordFoundation

/// How many replicas must answer a read (R) or acknowledge a write (W),
/// as Cassandra and Riak name them.
public enum ConsistencyLevel: Hashable, Sendable, CustomStringConvertible {
    /// One replica.
    case one
    /// A majority of the request's `N`: `N / 2 + 1`.
    case quorum
    /// All `N` replicas.
    case all
    /// Exactly this many replicas (1 to `N`).
    case count(Int)

    /// The number of replicas out of `replicas` this level asks for.
    public func required(of replicas: Int) -> Int {
        switch self {
        case .one: 1
        case .quorum: replicas / 2 + 1
        case .all: replicas
        case .count(let count): count
        }
    }

    public var description: String {
        switch self {
        case .one: "ONE"
        case .quorum: "QUORUM"
        case .all: "ALL"
        case .count(let count): "\(count)"
        }
    }
}

/// The consistency a client asks of one request.
///
/// - `replicas` (N) is how many members of the preference list the request
///   addresses, at most the ring's ``DynamoSettings/replicationFactor``
///   (nil: that factor). Data still reaches all of the ring's replicas
///   through repair and anti-entropy.
/// - `read` (R) and `write` (W): how many of them must answer. With
///   `R + W > N` and no failure in between, a read sees the latest
///   acknowledged write; `R = W = 1` is eventual consistency.
/// - `sloppy`: when preferred replicas stay silent, write to (and read
///   from) the next members of the preference list instead, which keep
///   *hints* and hand the data back later. Writes stay available; the
///   promise of `R + W > N` does not survive it (the read and write sets
///   need not overlap).
/// - `causal`: the write carries the session's dependencies and becomes
///   visible at a replica only once they are (causal+, after COPS); reads
///   use the preferred replicas only. Requires a session token.
public struct RequestConsistency: Hashable, Sendable, CustomStringConvertible {
    /// N, or nil for the ring's replication factor.
    public var replicas: Int?
    /// R.
    public var read: ConsistencyLevel
    /// W.
    public var write: ConsistencyLevel
    /// Whether fallbacks may stand in for silent replicas.
    public var sloppy: Bool
    /// Whether writes wait for their dependencies (causal mode).
    public var causal: Bool

    /// A consistency choice; the defaults are QUORUM reads and writes,
    /// sloppy, not causal.
    public init(
        replicas: Int? = nil, read: ConsistencyLevel = .quorum, write: ConsistencyLevel = .quorum,
        sloppy: Bool = true, causal: Bool = false
    ) {
        self.replicas = replicas
        self.read = read
        self.write = write
        self.sloppy = sloppy
        self.causal = causal
    }

    /// ONE for reads and writes: eventual consistency.
    public static let one = RequestConsistency(read: .one, write: .one)
    /// QUORUM for reads and writes.
    public static let quorum = RequestConsistency(read: .quorum, write: .quorum)
    /// ALL for reads and writes.
    public static let all = RequestConsistency(read: .all, write: .all)

    public var description: String {
        "N=\(replicas.map(String.init) ?? "default") R=\(read) W=\(write)" + (sloppy ? " sloppy" : " strict")
            + (causal ? " causal" : "")
    }

    /// The numbers for a ring with `replicationFactor` replicas per key, or
    /// the reason they are unusable.
    public func resolved(replicationFactor: Int, ringSize: Int) throws(DynamoRequestError) -> ResolvedConsistency {
        let n = replicas ?? replicationFactor
        guard (1...replicationFactor).contains(n) else {
            throw .invalidConsistency("N=\(n) must be 1...\(replicationFactor), the ring's replication factor")
        }
        guard n <= ringSize else {
            throw .invalidConsistency("N=\(n) but the ring has \(ringSize) members")
        }
        let r = read.required(of: n)
        let w = write.required(of: n)
        guard (1...n).contains(r) else { throw .invalidConsistency("R=\(r) must be 1...N (N=\(n))") }
        guard (1...n).contains(w) else { throw .invalidConsistency("W=\(w) must be 1...N (N=\(n))") }
        return ResolvedConsistency(replicas: n, reads: r, writes: w, sloppy: sloppy && !causal, causal: causal)
    }
}

/// Numbers a coordinator works with, validated against the ring.
public struct ResolvedConsistency: Hashable, Sendable {
    /// N.
    public var replicas: Int
    /// R.
    public var reads: Int
    /// W.
    public var writes: Int
    /// Whether fallbacks may stand in (never in causal mode).
    public var sloppy: Bool
    /// Causal mode.
    public var causal: Bool
}

extension ConsistencyLevel: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .one: writer.writeVarint(0)
        case .quorum: writer.writeVarint(1)
        case .all: writer.writeVarint(2)
        case .count(let count): writer.writeVarint(3 + UInt64(max(count, 0)))
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        switch try reader.readVarint() {
        case 0: self = .one
        case 1: self = .quorum
        case 2: self = .all
        case let value:
            guard let count = Int(exactly: value - 3), count <= Ring.membersMax else {
                throw .invalidValue("consistency count out of range", offset: start)
            }
            self = .count(count)
        }
    }
}

extension RequestConsistency: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(replicas ?? 0))
        read.encode(to: &writer)
        write.encode(to: &writer)
        writer.writeByte((sloppy ? 1 : 0) | (causal ? 2 : 0))
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let replicas = try reader.readVarint()
        guard replicas <= UInt64(Ring.membersMax) else { throw .invalidValue("N out of range", offset: start) }
        let read = try ConsistencyLevel(from: &reader)
        let write = try ConsistencyLevel(from: &reader)
        let flagsAt = reader.offset
        let flags = try reader.readByte()
        guard flags < 4 else { throw .invalidValue("unknown consistency flags", offset: flagsAt) }
        self.init(
            replicas: replicas == 0 ? nil : Int(replicas), read: read, write: write,
            sloppy: flags & 1 != 0, causal: flags & 2 != 0)
    }
}
