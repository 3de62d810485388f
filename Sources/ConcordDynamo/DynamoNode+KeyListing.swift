import ConcordFoundation

/// A key a listing found, with its kind (so that a client can filter by
/// type without reading each key).
public struct ListedKey: Hashable, Sendable {
    /// The key.
    public var key: ByteString
    /// The kind of its copy.
    public var kind: ObjectKind

    /// A listed key.
    public init(key: ByteString, kind: ObjectKind) {
        self.key = key
        self.kind = kind
    }
}

extension ListedKey: BinaryCodable {
    public func encode(to writer: inout BinaryWriter) {
        key.encode(to: &writer)
        writer.writeByte(kind.rawValue)
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let key = try ByteString(from: &reader)
        let kindAt = reader.offset
        guard let kind = ObjectKind(rawValue: try reader.readByte()) else { throw .invalidValue("unknown object kind", offset: kindAt) }
        self.init(key: key, kind: kind)
    }
}

/// A key listing this member coordinates: the replicas of the arc asked
/// so far, one at a time.
struct Listing: Sendable {
    var requestID: UInt64
    var session: SessionToken?
    var after: UInt64?
    var limit: Int
    var now: Int64
    /// The arc's replicas, in preference order.
    var replicas: [MemberID]
    /// The replica asked last, and when to give up on it.
    var asked: MemberID
    var askedAt: UInt64
}

/// Listing keys over the ring (Redis's KEYS, SCAN, DBSIZE).
///
/// A member knows only the keys it replicates, so a listing walks the ring
/// by position: each page comes from one arc, from one live replica of it
/// (this member when it is one, else the first replica that answers,
/// trying the next after the escalation time), and ends at the arc's end
/// or after about `limit` keys. The position to continue after is the
/// cursor: it names the arc (the one holding the next position) and the
/// last key (by its position; a page never splits keys of one position,
/// so none is skipped or repeated while the ring is unchanged). What a
/// listing shows is one replica's view, at R = 1: a key written at `ONE`
/// on other replicas may be missing until they converge; a key deleted or
/// written while the walk goes on may or may not appear, as with Redis's
/// SCAN. Tombstones and keys expired at the coordinator's time are left out.
extension DynamoNode {
    /// The most keys one page may ask for.
    public static let listKeysLimitMax = 1_000

    mutating func startListing(_ request: ClientRequest, after: UInt64?, limit: Int, _ output: inout DynamoOutput) {
        guard !ring.members.isEmpty, after != UInt64.max else {
            output.replies.append(ClientReply(id: request.id, outcome: .keys([], next: nil), session: request.session))
            return
        }
        let lower = after.map { $0 + 1 } ?? 0
        let arc = ring.arcIndex(containing: lower)
        let replicas = Array(ring.preferenceList(arcIndex: arc).prefix(min(settings.replicationFactor, ring.members.count)))
        let now = nowMilliseconds
        if replicas.contains(member) {
            let (keys, next) = listLocalKeys(after: after, limit: limit, now: now)
            output.replies.append(ClientReply(id: request.id, outcome: .keys(keys, next: next), session: request.session))
            return
        }
        let target = replicas.first(where: isResponsive) ?? replicas[0]
        let id = makeIdentifier()
        listings[id] = Listing(
            requestID: request.id, session: request.session, after: after, limit: limit, now: now, replicas: replicas,
            asked: target, askedAt: ticks)
        output.send(.listKeys(listing: id, after: after, limit: limit, now: now), to: target)
    }

    mutating func onListKeysReply(listing id: UInt64, keys: [ListedKey], next: UInt64?, from: MemberID, _ output: inout DynamoOutput) {
        guard let listing = listings[id], listing.replicas.contains(from) else { return }
        listings[id] = nil
        output.replies.append(ClientReply(id: listing.requestID, outcome: .keys(keys, next: next), session: listing.session))
    }

    /// Asks the next replica of a listing whose replica stayed silent; fails
    /// it once every replica was asked and the last one stayed silent too.
    mutating func tickListings(_ output: inout DynamoOutput) {
        for id in listings.keys.sorted() {
            var listing = listings[id]!
            guard ticks >= listing.askedAt + UInt64(settings.escalationTicks) else { continue }
            let index = listing.replicas.firstIndex(of: listing.asked) ?? listing.replicas.count
            guard index + 1 < listing.replicas.count else {
                listings[id] = nil
                output.replies.append(
                    ClientReply(id: listing.requestID, outcome: .failed(.unavailable(answered: 0, required: 1)), session: listing.session))
                continue
            }
            listing.asked = listing.replicas[index + 1]
            listing.askedAt = ticks
            listings[id] = listing
            output.send(.listKeys(listing: id, after: listing.after, limit: listing.limit, now: listing.now), to: listing.asked)
        }
    }

    /// This member's keys after position `after`, to the end of the arc
    /// holding the next position: in order of position, then bytes; at
    /// most about `limit` (the page is extended to the last key sharing the
    /// final position); tombstones and keys expired at `now` left out.
    /// Returns them and the position to continue after (nil: the end of the
    /// ring). Scans every copy: an ordered index of positions would make a
    /// page cost its size instead.
    func listLocalKeys(after: UInt64?, limit: Int, now: Int64) -> ([ListedKey], UInt64?) {
        guard !ring.members.isEmpty, after != UInt64.max else { return ([], nil) }
        let lower = after.map { $0 + 1 } ?? 0
        let arcEnd = ring.arc(at: ring.arcIndex(containing: lower)).end
        let upper = arcEnd >= lower ? arcEnd : UInt64.max
        var found: [(position: UInt64, key: ByteString, kind: ObjectKind)] = []
        for (key, object) in objects {
            let position = Hashing.position(of: key)
            guard position >= lower, position <= upper, !object.isTombstone, !object.hasExpired(at: now) else { continue }
            found.append((position, key, object.kind))
        }
        found.sort { ($0.position, $0.key) < ($1.position, $1.key) }
        var count = min(limit, found.count)
        while count > 0, count < found.count, found[count].position == found[count - 1].position { count += 1 }
        let page = found.prefix(count).map { ListedKey(key: $0.key, kind: $0.kind) }
        if count < found.count { return (page, found[count - 1].position) }
        return (page, upper == UInt64.max ? nil : upper)
    }
}
