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
