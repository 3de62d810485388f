import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

/// A deliberately simple reference for the data tree: a flat map of paths,
/// children found by scanning, a multi applied to a copy. Written apart from
/// the state machine, to compare against it.
struct ReferenceTree: Equatable {
    struct Entry: Equatable {
        var data: [UInt8]
        var version: Int32 = 0
        var cversion: Int32 = 0
        var owner: Int64
        var czxid: Int64
        var mzxid: Int64
        var pzxid: Int64
        var ctime: Int64
        var mtime: Int64
    }

    var nodes: [String: Entry]
    var sessions: Set<Int64> = []
    var zxid: Int64 = 0

    init() {
        let empty = Entry(data: [], owner: 0, czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0)
        nodes = ["/": empty, "/zookeeper": empty, "/zookeeper/quota": empty, "/zookeeper/config": empty]
    }

    static func parent(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.count <= 1 ? "/" : "/" + parts.dropLast().joined(separator: "/")
    }

    func children(_ path: String) -> [String] {
        nodes.keys.filter { $0 != "/" && Self.parent($0) == path }.map { String($0.split(separator: "/").last!) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func valid(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        if path == "/" { return true }
        guard !path.hasSuffix("/") else { return false }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    mutating func create(_ requested: String, _ data: [UInt8], _ mode: ZooKeeper.CreateMode, session: Int64, time: Int64) throws(ZooKeeper.ErrorCode) -> String {
        guard Self.valid(mode.isSequential ? requested + "0" : requested) else { throw .badArguments }
        if requested == "/" && !mode.isSequential { throw .nodeExists }
        let parentPath = requested.hasSuffix("/") ? String(requested.dropLast()).isEmpty ? "/" : String(requested.dropLast()) : Self.parent(requested)
        guard let parent = nodes[parentPath] else { throw .noNode }
        let path = mode.isSequential ? requested + String(repeating: "0", count: 10 - String(parent.cversion).count) + String(parent.cversion) : requested
        guard nodes[path] == nil else { throw .nodeExists }
        guard parent.owner <= 0 else { throw .noChildrenForEphemerals }
        nodes[parentPath]!.cversion += 1
        nodes[parentPath]!.pzxid = zxid
        nodes[path] = Entry(data: data, owner: mode.isEphemeral ? session : 0, czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time)
        return path
    }

    mutating func delete(_ path: String, version: Int32) throws(ZooKeeper.ErrorCode) {
        guard Self.valid(path), !["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"].contains(path) else { throw .badArguments }
        guard nodes[Self.parent(path)] != nil, let node = nodes[path] else { throw .noNode }
        guard version == -1 || version == node.version else { throw .badVersion }
        guard children(path).isEmpty else { throw .notEmpty }
        nodes[path] = nil
        nodes[Self.parent(path)]!.cversion += 1
        nodes[Self.parent(path)]!.pzxid = zxid
    }

    mutating func setData(_ path: String, _ data: [UInt8], version: Int32, time: Int64) throws(ZooKeeper.ErrorCode) -> Int32 {
        guard Self.valid(path) else { throw .badArguments }
        guard let node = nodes[path] else { throw .noNode }
        guard version == -1 || version == node.version else { throw .badVersion }
        nodes[path]!.data = data
        nodes[path]!.version += 1
        nodes[path]!.mzxid = zxid
        nodes[path]!.mtime = time
        return node.version + 1
    }

    func check(_ path: String, version: Int32) throws(ZooKeeper.ErrorCode) {
        guard Self.valid(path) else { throw .badArguments }
        guard let node = nodes[path] else { throw .noNode }
        guard version == -1 || version == node.version else { throw .badVersion }
    }

    /// Applies one operation; returns a short account of its result.
    mutating func apply(_ operation: ZooKeeper.WriteOperation, session: Int64, time: Int64) throws(ZooKeeper.ErrorCode) -> String {
        switch operation {
        case .create(let create): return "created " + (try self.create(create.path, create.data, ZooKeeper.CreateMode(rawValue: create.flags)!, session: session, time: time))
        case .delete(let path, let version): try delete(path, version: version); return "deleted"
        case .setData(let path, let data, let version): return "version \(try setData(path, data, version: version, time: time))"
        case .check(let path, let version): try check(path, version: version); return "checked"
        }
    }
}

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
