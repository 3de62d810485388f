import ConcordClocks
import ConcordDynamo
import ConcordFoundation

/// How the store's values and errors look to a Redis client.
///
/// Kinds: a sibling-mode or last-writer-wins value, a counter and a
/// multi-value register are Redis strings; a set is a set; a map is a
/// hash; a flag has no Redis type (TYPE says `flag`, string commands
/// refuse it).
///
/// Concurrent values: when concurrent writes left siblings (or a register
/// or a hash field holds several values), commands that show one value
/// (GET, MGET, HGET, HGETALL, SET … GET) show the greatest in byte order.
/// The choice is deterministic (every member shows the same value for the
/// same copy, whatever order the siblings arrived in) and shows the client
/// one of the values actually written, never a mixture; CONCORD.SIBLINGS
/// shows them all with the context that resolves them. A value concurrent
/// with a deletion wins: the key exists.
enum StoreRendering {
    /// The one value shown for concurrent values.
    static func shown(_ values: [ByteString]) -> ByteString? {
        values.max()
    }

    /// A key's value as a Redis string, nil when absent; WRONGTYPE for
    /// sets, hashes and flags.
    static func string(_ value: ReadValue) -> Result<[UInt8]?, RedisError> {
        switch value {
        case .absent: .success(nil)
        case .siblings(let values, _), .register(let values): .success(shown(values)?.bytes)
        case .value(let value): .success(value.bytes)
        case .counter(let count): .success(Array(String(count).utf8))
        case .set, .map, .flag: .failure(.wrongType)
        }
    }

    /// TYPE's answer for a key of `kind`.
    static func typeName(of kind: ObjectKind) -> String {
        switch kind {
        case .siblings, .lastWriterWins, .counter, .register: "string"
        case .set: "set"
        case .map: "hash"
        case .flag: "flag"
        }
    }

    /// TYPE's answer.
    static func typeName(_ value: ReadValue) -> String {
        switch value {
        case .absent: "none"
        case .siblings, .value, .counter, .register: "string"
        case .set: "set"
        case .map: "hash"
        case .flag: "flag"
        }
    }

    /// Whether a key holding `value` may take a command meant for `kind`
    /// (absent keys take anything).
    static func holds(_ value: ReadValue, kindOf kind: ObjectKind) -> Bool {
        switch value {
        case .absent: true
        case .set: kind == .set
        case .map: kind == .map
        default: false
        }
    }

    /// CONCORD.SIBLINGS's answer: `context` (hexadecimal, to pass to
    /// CONCORD.PUT), `values` (every concurrent value, in the store's order)
    /// and `deleted` (whether a deletion is among the concurrent versions).
    static func siblings(_ value: ReadValue, context: VersionVector) -> RESPValue {
        let values: [ByteString]
        var deleted = false
        switch value {
        case .absent: values = []
        case .siblings(let found, let includesDeletion):
            values = found
            deleted = includesDeletion
        case .value(let found): values = [found]
        case .register(let found): values = found
        case .counter, .set, .map, .flag: return RedisError.wrongType.reply
        }
        var writer = BinaryWriter()
        context.encode(to: &writer)
        return .map([
            RESPPair(.bulk("context"), .bulkString(Hex.encode(writer.bytes))),
            RESPPair(.bulk("values"), .array(values.map { .bulkString($0.bytes) })),
            RESPPair(.bulk("deleted"), .boolean(deleted)),
        ])
    }

    /// The error reply for a failed store request.
    static func error(_ error: DynamoRequestError) -> RESPValue {
        switch error {
        case .wrongType: RedisError.wrongType.reply
        case .invalidConsistency(let reason): .error("ERR invalid consistency: \(reason)")
        case .invalidRequest(let reason): .error("ERR invalid request: \(reason)")
        case .unavailable(let answered, let required):
            .error("UNAVAILABLE \(answered) of \(required) replicas answered in time; a write may still have taken effect")
        case .overloaded: .error("OVERLOADED the member coordinates too many requests; try again")
        case .clockBehind: .error("ERR the session's timestamp is too far ahead of this member's clock; try again")
        case .notAnInteger: RedisError.notAnInteger.reply
        case .overflow: RedisError.overflow.reply
        }
    }
}
