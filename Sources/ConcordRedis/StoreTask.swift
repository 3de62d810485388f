import ConcordClocks
import ConcordDynamo

/// The store work of one command on one key: a read, a write, or a read
/// followed by a write (for replies that depend on what was there: DEL's
/// and SADD's counts, SET … GET's previous value, and the type checks
/// Redis makes before changing a set or a hash).
struct KeyTask: Hashable, Sendable {
    /// What a read shows.
    enum ReadShows: Hashable, Sendable {
        case string
        /// MGET's element: a key of another type shows as nil.
        case stringOrNil
        case exists
        case type
        /// TTL (seconds, rounded) or PTTL (milliseconds).
        case timeToLive(milliseconds: Bool)
        case members
        case isMember(ByteString)
        case cardinality
        case field(ByteString)
        case allFields
        case fieldCount
        case siblings
    }

    /// What a write shows.
    enum WriteShows: Hashable, Sendable {
        /// OK (nil when a condition was not met: SET NX / XX).
        case ok
        /// The counter after the update.
        case counter
        /// CONCORD.PUT: the key's siblings and context after the write.
        case siblings
        /// 1 when written, 0 when the condition was not met (EXPIRE, PERSIST).
        case flag
    }

    /// A write decided by what a read found.
    enum Change: Hashable, Sendable {
        case delete
        case add([ByteString])
        case remove([ByteString])
        case setFields([KeyValue])
        case removeFields([ByteString])
        case setReturningPrevious(ByteString, WriteCondition)
    }

    /// A walk over the ring's keys (KEYS, SCAN, DBSIZE).
    struct Listing: Hashable, Sendable {
        enum Shows: Hashable, Sendable {
            /// KEYS: every matching key, the whole ring walked.
            case keys
            /// DBSIZE: how many keys, the whole ring walked.
            case count
            /// SCAN: one page from `cursor`.
            case page(cursor: UInt64, count: Int)
        }

        var pattern: ByteString?
        var type: String?
        var shows: Shows
        /// Keys found so far (a walk's pages).
        var found: [ByteString] = []
        var counted: Int64 = 0

        /// The keys of one page the listing keeps.
        func kept(_ keys: [ListedKey]) -> [ByteString] {
            keys.filter { listed in
                (type == nil || StoreRendering.typeName(of: listed.kind) == type)
                    && (pattern.map { GlobPattern.matches($0.bytes, listed.key.bytes) } ?? true)
            }.map(\.key)
        }
    }

    enum Work: Hashable, Sendable {
        case list(Listing)
        case read(ReadShows)
        case write(ClientOperation, WriteShows)
        case readThenWrite(Change)
    }

    enum Phase: Hashable, Sendable {
        case notStarted
        case reading
        /// Writing; `reply` is the answer once the write succeeds (else
        /// the write's outcome is shown as `shows`).
        case writing(shows: WriteShows?, reply: RESPValue?)
        case finished(RESPValue)
    }

    var key: ByteString
    var work: Work
    /// How the task's write changes the key's time to live.
    var expiry: ExpiryChange = .keep
    var phase: Phase = .notStarted

    var reply: RESPValue? {
        if case .finished(let reply) = phase { return reply }
        return nil
    }

    /// Starts the task: the first operation to send.
    mutating func start() -> ClientOperation {
        switch work {
        case .list(let listing):
            phase = .reading
            if case .page(let cursor, let count) = listing.shows {
                return .listKeys(after: cursor == 0 ? nil : cursor - 1, limit: count)
            }
            return .listKeys(after: nil, limit: DynamoNode.listKeysLimitMax)
        case .read, .readThenWrite:
            phase = .reading
            return .get
        case .write(let operation, let shows):
            phase = .writing(shows: shows, reply: nil)
            return operation
        }
    }

    /// Takes the outcome of the request in flight; returns the next
    /// operation to send, if any.
    mutating func take(_ outcome: ClientOutcome, timeToLive: Int64? = nil) -> ClientOperation? {
        if case .list(var listing) = work, case .reading = phase {
            guard case .keys(let keys, let next) = outcome else {
                phase = .finished(Self.failure(outcome))
                return nil
            }
            let kept = listing.kept(keys)
            switch listing.shows {
            case .page:
                let cursor = next.map { $0 == .max ? 0 : $0 + 1 } ?? 0
                phase = .finished(.array([.bulk(String(cursor)), .array(kept.map { .bulkString($0.bytes) })]))
                return nil
            case .keys, .count:
                listing.found += listing.shows == .keys ? kept : []
                listing.counted += Int64(kept.count)
                work = .list(listing)
                guard let next, next != .max else {
                    phase = .finished(
                        listing.shows == .keys ? .array(listing.found.map { .bulkString($0.bytes) }) : .integer(listing.counted))
                    return nil
                }
                return .listKeys(after: next, limit: DynamoNode.listKeysLimitMax)
            }
        }
        switch phase {
        case .reading:
            guard case .read(let value, let context) = outcome else {
                phase = .finished(Self.failure(outcome))
                return nil
            }
            switch work {
            case .read(let shows):
                phase = .finished(Self.show(value, context: context, as: shows, timeToLive: timeToLive))
                return nil
            case .readThenWrite(let change):
                let (reply, operation) = Self.decide(change, after: value)
                guard let operation else {
                    phase = .finished(reply)
                    return nil
                }
                phase = .writing(shows: nil, reply: reply)
                return operation
            case .write, .list:
                preconditionFailure("a write task never reads; a listing is taken above")
            }
        case .writing(let shows, let reply):
            switch outcome {
            case .failed(let error): phase = .finished(StoreRendering.error(error))
            case .conditionNotMet: phase = .finished(reply ?? (shows == .flag ? .integer(0) : .null))
            case .written(let value, let version):
                if let reply {
                    phase = .finished(reply)
                } else {
                    phase = .finished(Self.show(value, version: version, as: shows ?? .ok))
                }
            case .read, .keys: phase = .finished(.error("ERR unexpected answer from the store"))
            }
            return nil
        case .notStarted, .finished:
            return nil
        }
    }

    private static func failure(_ outcome: ClientOutcome) -> RESPValue {
        if case .failed(let error) = outcome { return StoreRendering.error(error) }
        return .error("ERR unexpected answer from the store")
    }

    static func show(_ value: ReadValue, context: VersionVector, as shows: ReadShows, timeToLive: Int64? = nil) -> RESPValue {
        switch shows {
        case .string, .stringOrNil:
            switch StoreRendering.string(value) {
            case .success(let bytes): return bytes.map { .bulkString($0) } ?? .null
            case .failure(let error): return shows == .stringOrNil ? .null : error.reply
            }
        case .exists: return .integer(value == .absent ? 0 : 1)
        case .type: return .simpleString(StoreRendering.typeName(value))
        case .timeToLive(let milliseconds):
            // ttlGenericCommand in expire.c: seconds are rounded to the nearest.
            guard value != .absent else { return .integer(-2) }
            guard let timeToLive else { return .integer(-1) }
            return .integer(milliseconds ? timeToLive : (timeToLive + 500) / 1000)
        case .members, .isMember, .cardinality:
            let elements: [ByteString]
            switch value {
            case .absent: elements = []
            case .set(let found): elements = found
            default: return RedisError.wrongType.reply
            }
            switch shows {
            case .members: return .set(elements.map { .bulkString($0.bytes) })
            case .isMember(let member): return .integer(elements.contains(member) ? 1 : 0)
            default: return .integer(Int64(elements.count))
            }
        case .field, .allFields, .fieldCount:
            let fields: [MapField]
            switch value {
            case .absent: fields = []
            case .map(let found): fields = found
            default: return RedisError.wrongType.reply
            }
            switch shows {
            case .field(let name):
                let values = fields.first { $0.field == name }?.values ?? []
                return StoreRendering.shown(values).map { .bulkString($0.bytes) } ?? .null
            case .allFields:
                return .map(fields.compactMap { field in
                    StoreRendering.shown(field.values).map { RESPPair(.bulkString(field.field.bytes), .bulkString($0.bytes)) }
                })
            default: return .integer(Int64(fields.count))
            }
        case .siblings:
            return StoreRendering.siblings(value, context: context)
        }
    }

    static func show(_ value: ReadValue, version: VersionVector, as shows: WriteShows) -> RESPValue {
        switch shows {
        case .ok: return .ok
        case .counter:
            guard case .counter(let count) = value else { return RedisError.wrongType.reply }
            return .integer(count)
        case .siblings: return StoreRendering.siblings(value, context: version)
        case .flag: return .integer(1)
        }
    }

    /// The reply and the write (nil: none is needed) for `change`, given
    /// what the read found.
    static func decide(_ change: Change, after value: ReadValue) -> (RESPValue, ClientOperation?) {
        switch change {
        case .delete:
            guard value != .absent else { return (.integer(0), nil) }
            return (.integer(1), .delete(context: .current))
        case .add(let members):
            guard StoreRendering.holds(value, kindOf: .set) else { return (RedisError.wrongType.reply, nil) }
            let present = Set(value.setElements)
            let unique = Self.unique(members)
            let added = unique.filter { !present.contains($0) }.count
            return (.integer(Int64(added)), .update(.addToSet(unique)))
        case .remove(let members):
            guard StoreRendering.holds(value, kindOf: .set) else { return (RedisError.wrongType.reply, nil) }
            let removed = Set(members).intersection(value.setElements).count
            return (.integer(Int64(removed)), removed == 0 ? nil : .update(.removeFromSet(Self.unique(members))))
        case .setFields(let pairs):
            guard StoreRendering.holds(value, kindOf: .map) else { return (RedisError.wrongType.reply, nil) }
            let present = Set(value.mapFields.map(\.field))
            let added = Set(pairs.map(\.key)).subtracting(present).count
            var latest: [ByteString: ByteString] = [:]
            var order: [ByteString] = []
            for pair in pairs {
                if latest.updateValue(pair.value, forKey: pair.key) == nil { order.append(pair.key) }
            }
            let fields = order.map { MapField(field: $0, values: [latest[$0]!]) }
            return (.integer(Int64(added)), .update(.setFields(fields)))
        case .removeFields(let names):
            guard StoreRendering.holds(value, kindOf: .map) else { return (RedisError.wrongType.reply, nil) }
            let removed = Set(names).intersection(value.mapFields.map(\.field)).count
            return (.integer(Int64(removed)), removed == 0 ? nil : .update(.removeFields(Self.unique(names))))
        case .setReturningPrevious(let newValue, let condition):
            switch StoreRendering.string(value) {
            case .failure(let error): return (error.reply, nil)
            case .success(let previous):
                return (previous.map { .bulkString($0) } ?? .null, .put(newValue, context: .current, condition: condition))
            }
        }
    }
}

extension KeyTask {
    /// The elements in their first order, each once.
    static func unique(_ elements: [ByteString]) -> [ByteString] {
        var seen: Set<ByteString> = []
        return elements.filter { seen.insert($0).inserted }
    }
}

extension ReadValue {
    var setElements: [ByteString] {
        if case .set(let elements) = self { return elements }
        return []
    }

    var mapFields: [MapField] {
        if case .map(let fields) = self { return fields }
        return []
    }
}
