extension ZooKeeper.StateMachine {
    /// The stat of `path` (`exists`): NONODE if absent, NOAUTH without READ.
    public func exists(_ path: String, identities: [ZooKeeper.Identity]) -> Result<ZooKeeper.Stat, ZooKeeper.ErrorCode> {
        readable(path, identities).map(\.stat)
    }

    /// The data and stat of `path` (`getData`).
    public func getData(_ path: String, identities: [ZooKeeper.Identity]) -> Result<(data: [UInt8], stat: ZooKeeper.Stat), ZooKeeper.ErrorCode> {
        readable(path, identities).map { ($0.data, $0.stat) }
    }

    /// The children (sorted by their bytes) and stat of `path` (`getChildren`, `getChildren2`).
    public func getChildren(_ path: String, identities: [ZooKeeper.Identity]) -> Result<(children: [String], stat: ZooKeeper.Stat), ZooKeeper.ErrorCode> {
        readable(path, identities).map { ($0.children, $0.stat) }
    }

    /// The ACL and stat of `path` (`getACL`): needs READ or ADMIN; without
    /// ADMIN, digest hashes are shown as `x`, as ZooKeeper does.
    public func getACL(_ path: String, identities: [ZooKeeper.Identity]) -> Result<(acl: [ZooKeeper.ACL], stat: ZooKeeper.Stat), ZooKeeper.ErrorCode> {
        guard (try? checkPath(path)) != nil else { return .failure(.badArguments) }
        guard let node = tree[path] else { return .failure(.noNode) }
        guard ZooKeeper.AccessControl.allows(node.acl, [.read, .admin], identities: identities) else { return .failure(.noAuth) }
        let admin = ZooKeeper.AccessControl.allows(node.acl, .admin, identities: identities)
        return .success((admin ? node.acl : ZooKeeper.AccessControl.redacted(node.acl), node.stat))
    }

    /// How many nodes lie below `path` (`getAllChildrenNumber`).
    public func allChildrenNumber(_ path: String, identities: [ZooKeeper.Identity]) -> Result<Int32, ZooKeeper.ErrorCode> {
        readable(path, identities).map { _ in Int32(clamping: tree.descendantCount(of: path)) }
    }

    /// A session's ephemeral nodes whose path starts with `prefix` (all of
    /// them when the prefix is empty or `/`), sorted (`getEphemerals`).
    public func ephemerals(of sessionID: Int64, prefix: String) -> [String] {
        let trimmed = prefix.trimmingSpaces
        let all = tree.ephemerals[sessionID] ?? []
        let chosen = trimmed.isEmpty || trimmed == "/" ? Array(all) : all.filter { $0.hasPrefix(prefix) }
        return chosen.sorted { ZooKeeper.Node.precedes($0, $1) }
    }

    /// The node at a valid path that `identities` may read.
    private func readable(_ path: String, _ identities: [ZooKeeper.Identity]) -> Result<ZooKeeper.Node, ZooKeeper.ErrorCode> {
        guard (try? checkPath(path)) != nil else { return .failure(.badArguments) }
        guard let node = tree[path] else { return .failure(.noNode) }
        guard ZooKeeper.AccessControl.allows(node.acl, .read, identities: identities) else { return .failure(.noAuth) }
        return .success(node)
    }
}

extension String {
    /// The string without leading and trailing ASCII spaces (Java's `trim`
    /// for the prefixes getEphemerals receives).
    var trimmingSpaces: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }),
            let last = scalars.lastIndex(where: { $0.value > 0x20 })
        else { return "" }
        return self[first...last]
    }
}
