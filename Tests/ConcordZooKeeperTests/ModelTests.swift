import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

@Suite("ZooKeeper state machine against a reference")
struct ModelTests {
    static let paths = ["/", "/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/z", "/a/", "a", "/a//x", "/zookeeper"]

    func randomOperation(_ random: inout SeededRandom) -> ZooKeeper.WriteOperation {
        let path = Self.paths[random.index(below: Self.paths.count)]
        let version = Int32(random.index(below: 4)) - 1
        let data = [UInt8(random.index(below: 256))]
        switch random.index(below: 10) {
        case 0..<4:
            let mode: ZooKeeper.CreateMode = [.persistent, .ephemeral, .persistentSequential, .ephemeralSequential][random.index(below: 4)]
            return .create(.init(path: path, data: data, mode: mode))
        case 4..<6: return .delete(path: path, version: version)
        case 6..<9: return .setData(path: path, data: data, version: version)
        default: return .check(path: path, version: version)
        }
    }

    /// The result of a state machine's operation, in the reference's words.
    func account(_ result: ZooKeeper.MultiResult, _ machine: ZooKeeper.StateMachine) -> String {
        switch result {
        case .create(let path): "created " + path
        case .delete: "deleted"
        case .setData(let stat): "version \(stat.version)"
        case .check: "checked"
        default: "\(result)"
        }
    }

    func compare(_ machine: ZooKeeper.StateMachine, _ reference: ReferenceTree) {
        #expect(Set(machine.tree.nodes.keys) == Set(reference.nodes.keys))
        for (path, entry) in reference.nodes {
            guard let node = machine.tree[path] else { continue }
            let stat = node.stat
            #expect(node.data == entry.data, "\(path)")
            #expect(node.children == reference.children(path), "\(path)")
            #expect([stat.version, stat.cversion] == [entry.version, entry.cversion], "\(path)")
            #expect([stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime, stat.ephemeralOwner]
                == [entry.czxid, entry.mzxid, entry.pzxid, entry.ctime, entry.mtime, entry.owner], "\(path)")
        }
        #expect(Set(machine.sessions.keys) == reference.sessions)
        #expect(machine.lastZxid == reference.zxid)
    }

    @Test("random writes, multis and session closes agree with the reference, step by step", arguments: 0..<20)
    func randomWalk(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var machine = ZooKeeper.StateMachine()
        var reference = ReferenceTree()
        var time: Int64 = 100
        for _ in 0..<300 {
            time += 1
            let session = Int64(1 + random.index(below: 3))
            let roll = random.index(below: 20)
            let command: ZooKeeper.Command
            if roll == 0 {
                command = .closeSession(sessionID: session, reason: .expired)
            } else if roll == 1 || !reference.sessions.contains(session) && roll < 6 {
                command = .createSession(sessionID: session, timeoutMilliseconds: 5_000, password: Array(repeating: 1, count: 16))
            } else if roll < 5 {
                command = .write(sessionID: session, identities: [], request: .multi((0..<(1 + random.index(below: 3))).map { _ in randomOperation(&random) }))
            } else {
                command = .write(sessionID: session, identities: [], request: .single(randomOperation(&random)))
            }
            let applied = machine.apply(ZooKeeper.Transaction(origin: .init(server: 1, tag: 0), timeMilliseconds: time, command: command))
            reference.zxid += 1
            switch command {
            case .createSession(let id, _, _):
                let fresh = reference.sessions.insert(id).inserted
                #expect(fresh == (applied.attachedSession != nil))
            case .closeSession(let id, _):
                if reference.sessions.remove(id) != nil {
                    for path in reference.nodes.keys where reference.nodes[path]!.owner == id {
                        try? reference.delete(path, version: -1)
                    }
                    #expect(applied.endedSessions == [id])
                } else {
                    #expect(applied.outcome.error == .sessionExpired)
                }
            case .write(let id, _, .single(let operation)):
                guard reference.sessions.contains(id) else { #expect(applied.outcome.error == .sessionExpired); break }
                let expected = Result { () throws(ZooKeeper.ErrorCode) in try reference.apply(operation, session: id, time: time) }
                switch (expected, applied.outcome) {
                case (.success(let expectedAccount), .response(let response)):
                    let result: ZooKeeper.MultiResult = switch response {
                    case .path(let path): .create(path: path)
                    case .stat(let stat): .setData(stat: stat)
                    case .empty: if case .delete = operation { .delete } else { .check }
                    default: .error(.systemError)
                    }
                    #expect(account(result, machine) == expectedAccount, "\(operation)")
                case (.failure(let code), .error(let actual)):
                    #expect(code == actual, "\(operation)")
                default:
                    Issue.record("\(operation): reference \(expected), state machine \(applied.outcome)")
                }
            case .write(let id, _, .multi(let operations)):
                guard reference.sessions.contains(id) else { #expect(applied.outcome.error == .sessionExpired); break }
                var copy = reference
                var accounts: [String] = []
                var failure: (Int, ZooKeeper.ErrorCode)? = nil
                for (index, operation) in operations.enumerated() {
                    do throws(ZooKeeper.ErrorCode) {
                        accounts.append(try copy.apply(operation, session: id, time: time))
                    } catch {
                        failure = (index, error)
                        break
                    }
                }
                guard case .multi(let results)? = applied.outcome.response else { Issue.record("\(applied.outcome)"); break }
                if let (index, code) = failure {
                    let expected = Array(repeating: ZooKeeper.MultiResult.error(.ok), count: index) + [.error(code)]
                        + Array(repeating: .error(.runtimeInconsistency), count: operations.count - index - 1)
                    #expect(results == expected)
                } else {
                    reference = copy
                    #expect(results.map { account($0, machine) } == accounts)
                }
            default:
                break
            }
            compare(machine, reference)
        }
        // And the final state survives a snapshot.
        let restored = try ZooKeeper.StateMachine(snapshot: machine.snapshot())
        compare(restored, reference)
    }
}
