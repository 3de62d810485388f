import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

@Suite("Garbage never crashes a decoder or the server")
struct GarbageInputTests {
    /// Valid frames of every request, to mutate.
    static let validBodies: [(Int32, [UInt8])] = JuteRecordTests.requests.map { ($0.1, $0.2) }

    /// `bytes` with a few bytes changed, dropped or added.
    func mutate(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var result = bytes
        for _ in 0..<(1 + random.index(below: 4)) {
            switch random.index(below: 3) {
            case 0 where !result.isEmpty: result[random.index(below: result.count)] = UInt8(random.index(below: 256))
            case 1 where !result.isEmpty: result.remove(at: random.index(below: result.count))
            default: result.insert(UInt8(random.index(below: 256)), at: random.index(below: result.count + 1))
            }
        }
        return result
    }

    @Test("mutated request bodies decode or fail with a decoding error", arguments: 0..<4)
    func requestBodies(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for _ in 0..<2_000 {
            let (type, body) = Self.validBodies[random.index(below: Self.validBodies.count)]
            let mutated = mutate(body, &random)
            let opCode = random.index(below: 8) == 0 ? Int32(random.index(below: 200)) - 20 : type
            _ = try? ZooKeeper.Request.decode(type: opCode, body: mutated[...])
            _ = try? ZooKeeper.ConnectRequest(juteEncoded: mutated)
            _ = try? ZooKeeper.Response.decode(requestType: ZooKeeper.OpCode.allCases[random.index(below: ZooKeeper.OpCode.allCases.count)], body: mutated[...])
            _ = try? ZooKeeper.Transaction(binaryEncoded: mutated)
            _ = try? ZooKeeper.StateMachine(snapshot: mutated)
        }
    }

    @Test("a server fed mutated frames answers, refuses or closes, and keeps serving other clients", arguments: 0..<4)
    func serverFrames(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var cluster = TestCluster(count: 1, seed: seed)
        let healthy = cluster.openSession(1_000, on: 0)
        var connection: UInt64 = 1
        for round in 0..<300 {
            if cluster.closed.contains(connection) || round % 25 == 0 {
                connection += 1
                _ = cluster.openSession(connection, on: 0)
            }
            let (type, body) = Self.validBodies[random.index(below: Self.validBodies.count)]
            var frame = int(Int32(round)) + int(type) + body
            if random.index(below: 2) == 0 { frame = mutate(frame, &random) }
            var bytes = ZooKeeper.Frame.encode(frame)
            if random.index(below: 10) == 0 { bytes = mutate(bytes, &random) }
            cluster.send(connection, to: 0, bytes)
            cluster.settle()
        }
        #expect(healthy.sessionID > 0)
        cluster.request(1_000, xid: 77, .read(.exists(path: "/", watch: false)))
        #expect(cluster.reply(1_000, xid: 77)?.header.err == 0)
        // Every replica invariant still holds: a snapshot of the state restores.
        #expect(throws: Never.self) { try ZooKeeper.StateMachine(snapshot: cluster.servers[0].state.snapshot()) }
    }
}
