import ConcordClocks
import ConcordCRDT
import ConcordDynamo
import ConcordFoundation
import Testing

/// A session keeps the stage (generation, then kind) of each key it saw, so
/// that a key replaced whole by another kind can still be read in it.
@Suite struct SessionStageTests {
    /// Before stages, a session whose key changed kind by a CRDT update
    /// waited for a copy that never came: the new kind's version starts
    /// afresh and cannot cover the old one's.
    @Test func aSessionReadsAKeyAgainAfterItChangedKind() {
        var cluster = TestCluster(members: [1, 2, 3])
        // Several writes before each change, so that the old kind's
        // version is well ahead of the new kind's first one.
        let field = ClientOperation.update(.setFields([MapField(field: "f", values: ["v"])]))
        let cases: [(key: ByteString, steps: [ClientOperation], shows: ReadValue)] = [
            // A string becomes a set (same generation, later kind).
            (
                "string",
                Array(repeating: .put("1", context: .current), count: 4) + [.delete(context: .current), .update(.addToSet(["a"]))],
                .set(["a"])
            ),
            // A deleted set re-created as a counter (the next generation).
            (
                "set",
                (0..<4).map { .update(.addToSet([ByteString("x\($0)")])) } + [.delete(context: .current), .update(.increment(2))],
                .counter(2)
            ),
            // A hash, then a counter, then a set again: generation 1.
            (
                "map",
                Array(repeating: field, count: 4) + [
                    .delete(context: .current), .update(.increment(1)), .delete(context: .current), .update(.addToSet(["b"])),
                ],
                .set(["b"])
            ),
        ]
        for (key, steps, shows) in cases {
            var session = SessionToken()
            for step in steps {
                let id = cluster.request(key, step, at: 1, consistency: .one, session: session)
                #expect(cluster.outcome(id)?.isFailure == false, "\(key): \(step)")
                session = cluster.replies[id]!.session!
            }
            for member: MemberID in [1, 2, 3] {
                let read = cluster.request(key, .get, at: member, consistency: .one, session: session)
                #expect(cluster.outcome(read)?.readValue == shows, "\(key) read at \(member)")
                if let token = cluster.replies[read]?.session { session = token }
            }
            #expect(session.stage(of: key) == cluster.nodes[1]!.objects[key]!.stage, "\(key)")
        }
    }

    /// A replica that still holds the earlier stage is behind the session:
    /// its copy does not answer the read.
    @Test func aCopyOfAnEarlierStageIsBehindTheSession() {
        var cluster = TestCluster(members: [1, 2, 3])
        let key: ByteString = "k"
        var session = SessionToken()
        let created = cluster.request(key, .update(.addToSet(["x"])), at: 1, consistency: .all, session: session)
        session = cluster.replies[created]!.session!
        cluster.cut = [[1, 2]]
        for step: ClientOperation in [.delete(context: .current), .update(.increment(5))] {
            let id = cluster.request(key, step, at: 1, consistency: .one, session: session)
            session = cluster.replies[id]!.session!
        }
        #expect(cluster.nodes[2]!.objects[key]?.kind == .set, "member 2 missed the re-creation")
        // Member 3 has the counter; member 2 asks it rather than answer
        // with its set.
        let read = cluster.request(key, .get, at: 2, consistency: .one, session: session)
        #expect(cluster.outcome(read)?.readValue == .counter(5))
        // Without the token member 2 answers at once from its own copy.
        let blind = cluster.request(key, .get, at: 2, consistency: .one)
        #expect(cluster.outcome(blind)?.readValue == .set(["x"]))
    }

    @Test func stagesOrderTheCopiesThatReplaceOneAnotherWhole() {
        let a = Actor.replica(member: 1, epoch: 1)
        var set = ORSet<ByteString>()
        set.insert("x", at: a)
        var counter = PNCounter()
        counter.increment(by: 1, at: a)
        let setCopy = StoredObject.set(set)
        let counterCopy = StoredObject.counter(counter)
        #expect(counterCopy.stage < setCopy.stage, "a later kind of one generation")
        let nextGeneration = StoredObject(.counter(counter), generation: 1)
        #expect(setCopy.stage < nextGeneration.stage, "any kind of a later generation")
        var token = SessionToken()
        token.observe("k", version: setCopy.version, stage: setCopy.stage)
        #expect(token.isCovered("k", stage: nextGeneration.stage, version: nextGeneration.version))
        #expect(!token.isCovered("k", stage: counterCopy.stage, version: counterCopy.version))
        #expect(token.isCovered("k", stage: setCopy.stage, version: setCopy.version))
        #expect(!token.isCovered("k", stage: setCopy.stage, version: VersionVector()))
        // A later stage replaces what the token kept of the key; an
        // earlier one adds nothing.
        token.observe("k", version: nextGeneration.version, stage: nextGeneration.stage)
        #expect(token.version(of: "k") == nextGeneration.version)
        token.observe("k", version: VersionVector([a: 99]), stage: setCopy.stage)
        #expect(token.version(of: "k") == nextGeneration.version)
        #expect(token.stage(of: "k") == nextGeneration.stage)
    }

    @Test func tokensRoundTripWithStagesAndTokensWithoutThemDecodeAtStageZero() throws {
        let a = Actor.replica(member: 1, epoch: 1)
        var token = SessionToken()
        token.observe("plain", version: VersionVector([a: 2]))
        // Without a stage above 0 the bytes are those of a token from
        // before stages: the count, then each key and its version.
        var old = BinaryWriter()
        old.writeVarint(1)
        ByteString("plain").encode(to: &old)
        VersionVector([a: 2]).encode(to: &old)
        old.writeVarint(0)
        HybridTimestamp.zero.encode(to: &old)
        #expect(token.binaryEncoded() == old.bytes)
        let decodedOld = try SessionToken(binaryEncoded: old.bytes)
        #expect(decodedOld == token && decodedOld.stage(of: "plain") == 0)

        token.observe("changed", version: VersionVector([a: 1]), stage: 1 << 8 | 3)
        let decoded = try SessionToken(binaryEncoded: token.binaryEncoded())
        #expect(decoded == token)
        #expect(decoded.stage(of: "changed") == 1 << 8 | 3 && decoded.stage(of: "plain") == 0)
        // A forged count is refused, not trusted.
        var forged = BinaryWriter()
        forged.writeVarint(1 << 20 | 1_000_000)
        #expect(throws: BinaryDecodingError.self) { try SessionToken(binaryEncoded: forged.bytes) }
    }
}
