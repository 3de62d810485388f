import ConcordClocks
import ConcordCRDT
import ConcordDynamo
import ConcordFoundation
import Testing

@Suite struct StoredObjectTests {
    let a = Actor.replica(member: 1, epoch: 1)
    let b = Actor.replica(member: 2, epoch: 1)

    @Test func concurrentWritesStaySiblingsAndAContextSupersedesThem() {
        var first = Siblings()
        first.write("x", context: VersionVector(), at: a)
        var second = first
        first.write("y", context: VersionVector(), at: a)
        second.write("z", context: VersionVector(), at: b)
        let merged = StoredObject.siblings(first).merging(.siblings(second))
        guard case .siblings(let values, _) = merged.readValue else {
            Issue.record("expected siblings, got \(merged.readValue)")
            return
        }
        #expect(Set(values) == ["x", "y", "z"])
        var resolved = first
        resolved.merge(second)
        resolved.write("w", context: merged.version, at: b)
        #expect(StoredObject.siblings(resolved).merging(merged).readValue == .siblings(["w"], includesDeletion: false))
    }

    /// The reason for dotted version vectors: a write at `a` with a stale
    /// context gets dot (a, 2) although it never saw (a, 1); a plain version
    /// vector would count it as covering (a, 1).
    @Test func mergeKeepsASiblingWhoseDotAFlattenedVectorWouldCover() {
        var replica = Siblings()
        replica.write("first", context: VersionVector(), at: a)
        replica.write("second", context: VersionVector(), at: a)
        var other = Siblings()
        other.merge(replica)
        guard let onlySecond = Siblings(siblings: replica.siblings.filter { $0.value.bytes == "second" }) else {
            Issue.record("could not build a single sibling")
            return
        }
        var merged = StoredObject.siblings(onlySecond)
        merged.merge(.siblings(other))
        #expect(merged.readValue.values.count == 2)
    }

    @Test func differentKindsResolveToTheLaterKind() {
        var counter = PNCounter()
        counter.increment(by: 2, at: a)
        var siblings = Siblings()
        siblings.write("v", context: VersionVector(), at: b)
        #expect(StoredObject.siblings(siblings).merging(.counter(counter)).kind == .counter)
        #expect(StoredObject.counter(counter).merging(.siblings(siblings)).kind == .counter)
    }

    @Test func tombstonesAreWhatShowsNothing() {
        var siblings = Siblings()
        siblings.write(.deletion, context: VersionVector(), at: a)
        #expect(StoredObject.siblings(siblings).isTombstone)
        #expect(StoredObject.siblings(siblings).readValue == .absent)
        var set = ORSet<ByteString>()
        set.insert("e", at: a)
        #expect(!StoredObject.set(set).isTombstone)
        set.remove("e")
        #expect(StoredObject.set(set).isTombstone)
        #expect(!StoredObject.counter(PNCounter()).isTombstone)
    }

    /// Digests are canonical: equal objects built through different
    /// histories (and so with differently ordered dictionaries) agree.
    @Test func equalObjectsHaveEqualDigests() {
        var left = ORSet<ByteString>()
        var right = ORSet<ByteString>()
        let elements: [ByteString] = (0..<50).map { ByteString("e\($0)") }
        var leftDeltas: [ORSet<ByteString>] = []
        for element in elements { leftDeltas.append(left.insert(element, at: a)) }
        for delta in leftDeltas.reversed() { right.merge(delta) }
        #expect(left == right)
        #expect(StoredObject.set(left).digest == StoredObject.set(right).digest)
        var changed = right
        changed.remove("e7")
        #expect(StoredObject.set(changed).digest != StoredObject.set(right).digest)
    }

    @Test func objectsRecordsAndMessagesRoundTripThroughTheirBinaryForm() throws {
        var siblings = Siblings()
        siblings.write("v", context: VersionVector(), at: a)
        siblings.write(.deletion, context: VersionVector(), at: b)
        var lww = LastWriterWinsValue()
        lww.write("w", timestamp: HybridTimestamp(wallNanoseconds: 5, logical: 1), actor: a)
        var counter = PNCounter()
        counter.increment(by: 3, at: a)
        counter.decrement(by: 1, at: b)
        var set = ORSet<ByteString>()
        set.insert("e", at: a)
        var map = CRDTMap()
        map.update("f") { $0.assign("g", at: b) }
        var register = MVRegister<ByteString>()
        register.assign("r", at: a)
        var flag = EnableWinsFlag()
        flag.enable(at: b)
        let objects: [StoredObject] = [
            .siblings(siblings), .lastWriterWins(lww), .counter(counter), .set(set), .map(map), .register(register), .flag(flag),
        ]
        for object in objects {
            #expect(try StoredObject(binaryEncoded: object.binaryEncoded()) == object)
        }
        var token = SessionToken()
        token.observe("k", version: VersionVector([a: 2]))
        token.observe(timestamp: HybridTimestamp(wallNanoseconds: 9))
        let request = ClientRequest(
            id: 7, key: "k", operation: .put("v", context: .provided(VersionVector([a: 1])), mode: .lastWriterWins, condition: .ifAbsent),
            consistency: RequestConsistency(replicas: 2, read: .count(2), write: .all, sloppy: false, causal: true), session: token)
        let messages: [DynamoMessage] = [
            .forward(coordination: 3, request: request),
            .forwardReply(coordination: 3, outcome: .written(.counter(4), version: VersionVector([b: 1])), session: token),
            .forwardReply(coordination: 4, outcome: .failed(.unavailable(answered: 1, required: 2)), session: nil),
            .replicate(ReplicaWrite(operation: 1, key: "k", object: objects[0], hintFor: 9, dependencies: [Dependency(key: "j", version: VersionVector([a: 1]))])),
            .replicateAck(operation: 1),
            .read(operation: 2, key: "k", session: VersionVector([a: 1]), includeHints: true),
            .readReply(operation: 2, object: objects[3], pendingShown: nil),
            .repair(KeyedObject(key: "k", object: objects[4])),
            .handoff(batch: 5, objects: [KeyedObject(key: "k", object: objects[5])]),
            .handoffAck(batch: 5),
            .treeCompare(exchange: 6, arc: RingArc(index: 2, start: 10, end: 20, isWhole: false), level: 1, nodes: [TreeNodeHash(index: 3, hash: 99)]),
            .treeObjects(exchange: 6, arc: RingArc(index: 0, start: 0, end: 0, isWhole: true), leaves: [1, 2], objects: [], wantsReply: true),
            .reapQuery(round: 8, phase: 2, candidates: [KeyedObject(key: "k", object: objects[6])]),
            .reapVote(round: 8, phase: 2, agreed: ["k"]),
            .reap(candidates: []),
            .dependencyCheck(check: 11, dependency: Dependency(key: "j", version: VersionVector([b: 3]))),
            .dependencyAnswer(check: 11, covered: true),
        ]
        for message in messages {
            #expect(try DynamoMessage(binaryEncoded: message.binaryEncoded()) == message, "\(message)")
        }
        let records: [StorageRecord] = [
            .object(KeyedObject(key: "k", object: objects[1])), .objectRemoved("k"),
            .hint(for: 3, KeyedObject(key: "k", object: objects[2])), .hintRemoved(for: 3, key: "k"),
            .pendingWrites(key: "k", [PendingWrite(object: objects[0], dependencies: [])]), .actorEpoch(4),
        ]
        for record in records {
            #expect(try StorageRecord(binaryEncoded: record.binaryEncoded()) == record)
        }
    }

    @Test func garbageIsRefusedWithATypedError() {
        #expect(throws: BinaryDecodingError.self) { try DynamoMessage(binaryEncoded: [1, 99]) }
        #expect(throws: BinaryDecodingError.self) { try DynamoMessage(binaryEncoded: [2, 1]) }
        #expect(throws: BinaryDecodingError.self) { try StoredObject(binaryEncoded: [42]) }
        #expect(throws: BinaryDecodingError.self) { try StorageRecord(binaryEncoded: [6, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) }
        let valid = DynamoMessage.replicateAck(operation: 300).binaryEncoded()
        #expect(throws: BinaryDecodingError.self) { try DynamoMessage(binaryEncoded: Array(valid.dropLast())) }
    }
}
