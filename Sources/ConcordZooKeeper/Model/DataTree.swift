extension ZooKeeper {
    /// The znodes of one replica: every node by its full path, and the
    /// ephemeral nodes of each session.
    ///
    /// The tree starts with ZooKeeper's own nodes: `/`, `/zookeeper`,
    /// `/zookeeper/quota` and `/zookeeper/config`, which cannot be deleted.
    /// Its mutations are internal: only ``ZooKeeper/StateMachine`` changes
    /// it, one transaction at a time. While a multi runs, the tree records
    /// the previous value of every node it touches so that a failed multi can
    /// be undone exactly.
    ///
    /// Invariants: every node but the root has its parent in the tree and
    /// is listed among the parent's children; `ephemerals[s]` is exactly the
    /// set of nodes whose owner is session `s`; no ephemeral node has children.
    public struct DataTree: Sendable {
        /// Every node, by path.
        public private(set) var nodes: [String: Node]
        /// Each session's ephemeral nodes.
        public private(set) var ephemerals: [Int64: Set<String>]
        /// While recording: the value each touched path had before (nil: absent).
        private var undo: [String: Node?]?

        /// The paths that exist in every tree and cannot be deleted.
        public static let specialPaths: Set<String> = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]

        /// A tree holding only ZooKeeper's own nodes.
        public init() {
            nodes = [:]
            ephemerals = [:]
            var root = Node(data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, zxid: 0, timeMilliseconds: 0)
            root.insertChild("zookeeper")
            var system = Node(data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, zxid: 0, timeMilliseconds: 0)
            system.insertChild("config")
            system.insertChild("quota")
            nodes["/"] = root
            nodes["/zookeeper"] = system
            nodes["/zookeeper/quota"] = Node(data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, zxid: 0, timeMilliseconds: 0)
            nodes["/zookeeper/config"] = Node(data: [], acl: ACL.readUnsafe, ephemeralOwner: 0, zxid: 0, timeMilliseconds: 0)
        }

        /// A tree from stored nodes (a snapshot), rebuilding children lists
        /// and the ephemeral index.
        /// - Throws: a description of the first broken invariant.
        init(restoring stored: [(path: String, node: Node)]) throws(InvalidTree) {
            var nodes: [String: Node] = [:]
            nodes.reserveCapacity(stored.count)
            for (path, var node) in stored {
                guard Path.isValid(path) else { throw InvalidTree("invalid path \(path)") }
                guard nodes[path] == nil else { throw InvalidTree("\(path) appears twice") }
                node.children = []
                nodes[path] = node
            }
            var ephemerals: [Int64: Set<String>] = [:]
            for (path, _) in stored where path != Path.root {
                let parent = Path.parent(of: path)
                guard nodes[parent] != nil else { throw InvalidTree("\(path) has no parent") }
                guard EphemeralOwner.session(of: nodes[parent]!.ephemeralOwner) == nil else {
                    throw InvalidTree("\(path) is the child of an ephemeral node")
                }
                nodes[parent]!.insertChild(Path.name(of: path))
                if let session = EphemeralOwner.session(of: nodes[path]!.ephemeralOwner) {
                    ephemerals[session, default: []].insert(path)
                }
            }
            for special in Self.specialPaths where nodes[special] == nil {
                throw InvalidTree("\(special) is missing")
            }
            self.nodes = nodes
            self.ephemerals = ephemerals
        }

        /// Why stored nodes do not form a tree.
        struct InvalidTree: Error {
            var reason: String
            init(_ reason: String) { self.reason = reason }
        }

        /// The node at `path`, if any.
        public subscript(path: String) -> Node? { nodes[path] }

        /// The number of nodes, the root included.
        public var nodeCount: Int { nodes.count }

        /// The number of nodes below `path` (`getAllChildrenNumber`).
        public func descendantCount(of path: String) -> Int {
            guard let node = nodes[path] else { return 0 }
            var count = 0
            var stack: [(String, Node)] = [(path, node)]
            while let (current, currentNode) = stack.popLast() {
                for name in currentNode.children {
                    let child = Path.child(name, of: current)
                    count += 1
                    if let childNode = nodes[child], !childNode.children.isEmpty { stack.append((child, childNode)) }
                }
            }
            return count
        }

        /// The total bytes of data and paths held (the `approximate_data_size` of `mntr`).
        public var approximateDataBytes: Int {
            nodes.reduce(0) { $0 + $1.key.utf8.count + $1.value.data.count }
        }

        // MARK: - Mutations (the state machine checks every precondition first)

        /// Adds a node under an existing, non-ephemeral parent, bumping the
        /// parent's child version and pzxid.
        mutating func create(_ path: String, node: Node, zxid: Int64, triggers: inout [WatchTrigger]) {
            let parentPath = Path.parent(of: path)
            precondition(nodes[path] == nil, "create over an existing node")
            var parent = nodes[parentPath]!
            parent.insertChild(Path.name(of: path))
            parent.cversion &+= 1
            parent.pzxid = zxid
            store(parentPath, parent)
            store(path, node)
            triggers.append(WatchTrigger(path: path, type: .nodeCreated, acl: node.acl))
            triggers.append(WatchTrigger(path: parentPath, type: .nodeChildrenChanged, acl: parent.acl))
        }

        /// Removes a childless node, bumping the parent's child version and pzxid.
        mutating func delete(_ path: String, zxid: Int64, triggers: inout [WatchTrigger]) {
            let node = nodes[path]!
            precondition(node.children.isEmpty, "delete of a node with children")
            let parentPath = Path.parent(of: path)
            var parent = nodes[parentPath]!
            parent.removeChild(Path.name(of: path))
            parent.cversion &+= 1
            parent.pzxid = zxid
            store(path, nil)
            store(parentPath, parent)
            triggers.append(WatchTrigger(path: path, type: .nodeDeleted, acl: node.acl))
            triggers.append(WatchTrigger(path: parentPath, type: .nodeChildrenChanged, acl: parent.acl))
        }

        /// Sets a node's data, bumping its version.
        mutating func setData(_ path: String, data: [UInt8], zxid: Int64, timeMilliseconds: Int64, triggers: inout [WatchTrigger]) {
            var node = nodes[path]!
            node.data = data
            node.version &+= 1
            node.mzxid = zxid
            node.mtime = timeMilliseconds
            store(path, node)
            triggers.append(WatchTrigger(path: path, type: .nodeDataChanged, acl: node.acl))
        }

        /// Sets a node's ACL, bumping its ACL version.
        mutating func setACL(_ path: String, acl: [ACL]) {
            var node = nodes[path]!
            node.acl = acl
            node.aversion &+= 1
            store(path, node)
        }

        /// Writes one path, keeping the ephemeral index and the undo record.
        private mutating func store(_ path: String, _ node: Node?) {
            let old = nodes[path]
            if undo != nil, undo![path] == nil { undo![path] = .some(old) }
            if let session = old.flatMap({ EphemeralOwner.session(of: $0.ephemeralOwner) }) {
                ephemerals[session]?.remove(path)
                if ephemerals[session]?.isEmpty == true { ephemerals[session] = nil }
            }
            if let session = node.flatMap({ EphemeralOwner.session(of: $0.ephemeralOwner) }) {
                ephemerals[session, default: []].insert(path)
            }
            nodes[path] = node
        }

        // MARK: - Undo, for multi

        /// Starts recording changes so that ``rollBack()`` can undo them.
        mutating func beginRecording() {
            precondition(undo == nil, "recording already")
            undo = [:]
        }

        /// Keeps the changes made since ``beginRecording()``.
        mutating func commitRecording() {
            undo = nil
        }

        /// Undoes every change made since ``beginRecording()``.
        mutating func rollBack() {
            guard let saved = undo else { preconditionFailure("not recording") }
            undo = nil
            for (path, node) in saved { store(path, node) }
        }
    }
}
