extension ZooKeeper {
    /// Who writes, and when: what every write's checks and stats need.
    struct WriteContext {
        var sessionID: Int64
        var identities: [Identity]
        var zxid: Int64
        var timeMilliseconds: Int64
    }
}

extension ZooKeeper.StateMachine {
    typealias ErrorCode = ZooKeeper.ErrorCode
    typealias Path = ZooKeeper.Path

    /// Applies a client's write. Every check comes before any change, so a
    /// failed single operation changes nothing; a multi records what it
    /// changes and undoes it all if one operation fails.
    mutating func applyWrite(_ request: ZooKeeper.WriteRequest, _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) -> ZooKeeper.Applied.Outcome {
        switch request {
        case .single(let operation):
            do throws(ErrorCode) {
                let result = try execute(operation, context, triggers: &triggers)
                return .response(Self.response(to: result))
            } catch {
                return .error(error)
            }
        case .setACL(let path, let acl, let version):
            do throws(ErrorCode) {
                return .response(.stat(try setACL(path, acl: acl, version: version, context)))
            } catch {
                return .error(error)
            }
        case .multi(let operations):
            guard operations.count <= limits.multiOperationsMax else { return .error(.badArguments) }
            return .response(.multi(applyMulti(operations, context, triggers: &triggers)))
        }
    }

    /// The answer to a single operation, from its multi-style result.
    static func response(to result: ZooKeeper.MultiResult) -> ZooKeeper.Response {
        switch result {
        case .create(let path): .path(path)
        case .create2(let path, let stat): .pathAndStat(path: path, stat: stat)
        case .delete, .check: .empty
        case .setData(let stat): .stat(stat)
        case .getData, .getChildren, .error: preconditionFailure("not the result of a write")
        }
    }

    /// Applies a multi all or nothing (ZooKeeper's results: on failure, the
    /// operations before the failing one report OK, the failing one its
    /// error, those after it RUNTIMEINCONSISTENCY, and nothing changes).
    mutating func applyMulti(_ operations: [ZooKeeper.WriteOperation], _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) -> [ZooKeeper.MultiResult] {
        var results: [ZooKeeper.MultiResult] = []
        var pending: [ZooKeeper.WatchTrigger] = []
        tree.beginRecording()
        for (index, operation) in operations.enumerated() {
            do throws(ErrorCode) {
                results.append(try execute(operation, context, triggers: &pending))
            } catch {
                tree.rollBack()
                return Array(repeating: .error(.ok), count: index) + [.error(error)]
                    + Array(repeating: .error(.runtimeInconsistency), count: operations.count - index - 1)
            }
        }
        tree.commitRecording()
        triggers += pending
        return results
    }

    /// Checks and applies one operation.
    mutating func execute(_ operation: ZooKeeper.WriteOperation, _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) throws(ErrorCode) -> ZooKeeper.MultiResult {
        switch operation {
        case .create(let create):
            return try self.create(create, context, triggers: &triggers)
        case .delete(let path, let version):
            try delete(path, version: version, context, triggers: &triggers)
            return .delete
        case .setData(let path, let data, let version):
            return .setData(stat: try setData(path, data: data, version: version, context, triggers: &triggers))
        case .check(let path, let version):
            try checkPath(path)
            guard let node = tree[path] else { throw .noNode }
            try require(node.acl, .read, context)
            guard version == -1 || version == node.version else { throw .badVersion }
            return .check
        }
    }

    /// ZooKeeper's create, checked in its order: mode and TTL, path, ACL,
    /// parent, CREATE permission on the parent, sequential name, existence,
    /// ephemeral parent.
    private mutating func create(_ request: ZooKeeper.CreateOperation, _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) throws(ErrorCode) -> ZooKeeper.MultiResult {
        guard let mode = ZooKeeper.CreateMode(rawValue: request.flags) else { throw .badArguments }
        guard mode.isTTL == (request.opCode == .createTTL) else { throw .badArguments }
        if request.opCode == .createContainer && !mode.isContainer { throw .badArguments }
        if mode.isTTL {
            guard limits.ttlNodesEnabled else { throw .unimplemented }
            guard request.ttlMilliseconds > 0 && request.ttlMilliseconds <= ZooKeeper.EphemeralOwner.ttlMillisecondsMax else { throw .badArguments }
        }
        // The final path must be valid; a sequential one is checked with its counter in place.
        try checkPath(mode.isSequential ? Path.sequential(request.path, counter: 0) : request.path)
        guard request.path != Path.root || mode.isSequential else { throw .nodeExists }
        guard request.data.count <= limits.dataBytesMax else { throw .badArguments }
        guard request.acl.count <= limits.aclEntriesMax else { throw .invalidACL }
        let acl = try ZooKeeper.AccessControl.fixUp(request.acl, identities: context.identities)
        let lastSlash = request.path.utf8.lastIndex(of: UInt8(ascii: "/"))!
        let parentPath = lastSlash == request.path.utf8.startIndex ? Path.root : String(request.path[..<lastSlash])
        guard let parent = tree[parentPath] else { throw .noNode }
        try require(parent.acl, .create, context)
        let path = mode.isSequential ? Path.sequential(request.path, counter: parent.cversion) : request.path
        guard path.utf8.count <= limits.pathBytesMax else { throw .badArguments }
        guard tree[path] == nil else { throw .nodeExists }
        guard ZooKeeper.EphemeralOwner.session(of: parent.ephemeralOwner) == nil else { throw .noChildrenForEphemerals }
        let owner: Int64
        if mode.isContainer {
            owner = ZooKeeper.EphemeralOwner.container
        } else if mode.isTTL {
            owner = ZooKeeper.EphemeralOwner.ttl(milliseconds: request.ttlMilliseconds)
        } else if mode.isEphemeral {
            owner = context.sessionID
        } else {
            owner = 0
        }
        let node = ZooKeeper.Node(data: request.data, acl: acl, ephemeralOwner: owner, zxid: context.zxid, timeMilliseconds: context.timeMilliseconds)
        tree.create(path, node: node, zxid: context.zxid, triggers: &triggers)
        return request.opCode == .create ? .create(path: path) : .create2(path: path, stat: node.stat)
    }

    /// ZooKeeper's delete, checked in its order: path, parent, DELETE
    /// permission on the parent, node, version, children.
    private mutating func delete(_ path: String, version: Int32, _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) throws(ErrorCode) {
        try checkPath(path)
        guard !ZooKeeper.DataTree.specialPaths.contains(path) else { throw .badArguments }
        guard let parent = tree[Path.parent(of: path)] else { throw .noNode }
        try require(parent.acl, .delete, context)
        guard let node = tree[path] else { throw .noNode }
        guard version == -1 || version == node.version else { throw .badVersion }
        guard node.children.isEmpty else { throw .notEmpty }
        tree.delete(path, zxid: context.zxid, triggers: &triggers)
    }

    /// ZooKeeper's setData: path, node, WRITE permission, version.
    private mutating func setData(_ path: String, data: [UInt8], version: Int32, _ context: ZooKeeper.WriteContext, triggers: inout [ZooKeeper.WatchTrigger]) throws(ErrorCode) -> ZooKeeper.Stat {
        try checkPath(path)
        guard let node = tree[path] else { throw .noNode }
        try require(node.acl, .write, context)
        guard version == -1 || version == node.version else { throw .badVersion }
        guard data.count <= limits.dataBytesMax else { throw .badArguments }
        tree.setData(path, data: data, zxid: context.zxid, timeMilliseconds: context.timeMilliseconds, triggers: &triggers)
        return tree[path]!.stat
    }

    /// ZooKeeper's setACL: path, ACL, node, ADMIN permission, ACL version.
    private mutating func setACL(_ path: String, acl requested: [ZooKeeper.ACL], version: Int32, _ context: ZooKeeper.WriteContext) throws(ErrorCode) -> ZooKeeper.Stat {
        try checkPath(path)
        guard requested.count <= limits.aclEntriesMax else { throw .invalidACL }
        let acl = try ZooKeeper.AccessControl.fixUp(requested, identities: context.identities)
        guard let node = tree[path] else { throw .noNode }
        try require(node.acl, .admin, context)
        guard version == -1 || version == node.aversion else { throw .badVersion }
        tree.setACL(path, acl: acl)
        return tree[path]!.stat
    }

    /// Throws BADARGUMENTS unless `path` is a valid znode path within the limit.
    func checkPath(_ path: String) throws(ErrorCode) {
        guard path.utf8.count <= limits.pathBytesMax, Path.isValid(path) else { throw .badArguments }
    }

    /// Throws NOAUTH unless the writer's identities may do `permission`.
    private func require(_ acl: [ZooKeeper.ACL], _ permission: ZooKeeper.Permissions, _ context: ZooKeeper.WriteContext) throws(ErrorCode) {
        guard ZooKeeper.AccessControl.allows(acl, permission, identities: context.identities) else { throw .noAuth }
    }
}
