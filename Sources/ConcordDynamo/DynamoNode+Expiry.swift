/// Collecting expired keys through the tombstone path.
///
/// A key whose deadline has passed reads as absent everywhere at once (each
/// coordinator compares the deadline with its own time), but its copies
/// still hold the values. The key's first replica, on each tick, turns an
/// expired copy into a tombstone by deleting what the copy holds, as `DEL`
/// would, keeping the expiry; anti-entropy and read repair spread that
/// tombstone to the other replicas, and the reaper collects it like any
/// other (docs/dynamo.md). Only one member writes the deletion, so expiry
/// adds one version per key, not one per replica.
///
/// The tombstone's deadline is cleared (it reads as absent because it is a
/// tombstone): if a copy of it outlived the collection somewhere (a lost
/// collect message) and came back, it could not hide a later write of the
/// key behind a passed deadline. A counter cannot be a tombstone: it is
/// brought to zero and keeps its passed deadline, which is what makes it
/// read as absent; such counters are kept, not collected.
extension DynamoNode {
    /// The most expired copies turned into tombstones per tick.
    static let expiriesPerTickMax = 256

    mutating func expireDueCopies(_ output: inout DynamoOutput) {
        guard !expiring.isEmpty else { return }
        let now = nowMilliseconds
        var done = 0
        for key in expiring.sorted() {
            guard done < Self.expiriesPerTickMax else { break }
            guard let object = objects[key], object.hasExpired(at: now), !object.isTombstone, pending[key] == nil,
                ringReplicas(of: key).first == member
            else { continue }
            let deleted = deletion(of: object, &output)
            guard deleted != object else { continue }
            done += 1
            store(deleted, for: key, &output)
            output.notes.append("\(key) expired; its copy is now a tombstone")
        }
    }

    /// `object` with everything it shows deleted, with this member's actor;
    /// the expiry is kept.
    mutating func deletion(of object: StoredObject, _ output: inout DynamoOutput) -> StoredObject {
        refreshEpochIfNeeded(&output)
        var result: StoredObject
        switch object.value {
        case .siblings(var siblings):
            siblings.write(SiblingValue(nil, dependencies: []), context: object.version, at: actor)
            result = .siblings(siblings)
        case .lastWriterWins(var value):
            value.write(nil, timestamp: hybridClock.now(), actor: actor)
            result = .lastWriterWins(value)
        case .counter:
            result = removeObserved(object)
            result.expiry = object.expiry
            return result
        default:
            result = removeObserved(object)
        }
        result.expiry = object.expiry
        if object.expiry.deadline != nil {
            result.expiry.write(nil, timestamp: expiryStamp(after: object.expiry), actor: actor)
        }
        return result
    }
}
