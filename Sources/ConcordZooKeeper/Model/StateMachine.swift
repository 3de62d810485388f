extension ZooKeeper {
    /// ZooKeeper's replicated state: the data tree, the sessions, and the
    /// zxid of the last transaction applied.
    ///
    /// It changes only through ``apply(_:)``, one ``ZooKeeper/Transaction`` at a time
    /// in log order, and the result depends only on the state and the
    /// transaction: replicas that apply the same transactions hold the same
    /// state and give the same answers. Every transaction but a sync takes
    /// the next zxid, whether it succeeds or not (ZooKeeper logs failed
    /// writes as error transactions, with their own zxid, too); a multi
    /// takes one zxid for all its operations, and a session's close deletes
    /// all its ephemeral nodes under one zxid.
    ///
    /// Reads are queries on the state (see `StateMachine+Reads.swift`); a
    /// server answers them from its own replica.
    public struct StateMachine: Sendable {
        /// The znodes.
        public internal(set) var tree: DataTree
        /// The open sessions, by id.
        public internal(set) var sessions: [Int64: Session]
        /// The zxid of the last transaction applied (0 before any).
        public internal(set) var lastZxid: Int64
        /// The time of the last transaction applied.
        public internal(set) var lastTimeMilliseconds: Int64
        /// The limits every replica enforces alike.
        public let limits: Limits

        /// An empty state: ZooKeeper's own nodes, no session, zxid 0.
        public init(limits: Limits = Limits()) {
            tree = DataTree()
            sessions = [:]
            lastZxid = 0
            lastTimeMilliseconds = 0
            self.limits = limits
        }

        /// Applies the next transaction of the log.
        /// - Returns: what it did: its zxid, the outcome for its requester,
        ///   the watch triggers and the sessions it ended or attached.
        public mutating func apply(_ transaction: Transaction) -> Applied {
            if case .sync(let sessionID, let path) = transaction.command {
                let outcome: Applied.Outcome = sessions[sessionID] == nil ? .error(.sessionExpired) : .response(.path(path))
                return Applied(zxid: lastZxid, origin: transaction.origin, outcome: outcome, triggers: [], endedSessions: [], attachedSession: nil)
            }
            lastZxid += 1
            lastTimeMilliseconds = transaction.timeMilliseconds
            var applied = Applied(zxid: lastZxid, origin: transaction.origin, outcome: .done, triggers: [], endedSessions: [], attachedSession: nil)
            let time = transaction.timeMilliseconds
            switch transaction.command {
            case .createSession(let id, let timeout, let password):
                if id <= 0 || sessions[id] != nil || password.count != Session.passwordBytes || timeout <= 0 {
                    applied.outcome = .sessionRefused(sessions[id] != nil ? .nodeExists : .badArguments)
                } else {
                    let session = Session(id: id, timeoutMilliseconds: timeout, password: password, owner: transaction.origin.server)
                    sessions[id] = session
                    applied.outcome = .sessionEstablished(session)
                    applied.attachedSession = session
                }
            case .reattachSession(let id, let password):
                if var session = sessions[id] {
                    if session.password == password {
                        session.owner = transaction.origin.server
                        sessions[id] = session
                        applied.outcome = .sessionEstablished(session)
                        applied.attachedSession = session
                    } else {
                        applied.outcome = .sessionRefused(.authFailed)
                    }
                } else {
                    applied.outcome = .sessionRefused(.sessionExpired)
                }
            case .closeSession(let id, _):
                if sessions[id] == nil {
                    applied.outcome = .error(.sessionExpired)
                } else {
                    closeSession(id, zxid: lastZxid, triggers: &applied.triggers)
                    applied.endedSessions = [id]
                    applied.outcome = .response(.empty)
                }
            case .write(let id, let identities, let request):
                guard let session = sessions[id] else {
                    applied.outcome = .error(.sessionExpired)
                    break
                }
                guard session.owner == transaction.origin.server else {
                    applied.outcome = .error(.sessionMoved)
                    break
                }
                let context = WriteContext(sessionID: id, identities: identities, zxid: lastZxid, timeMilliseconds: time)
                applied.outcome = applyWrite(request, context, triggers: &applied.triggers)
            case .deleteContainer(let path):
                applied.outcome = deleteContainer(path, zxid: lastZxid, timeMilliseconds: time, triggers: &applied.triggers)
            case .sync:
                preconditionFailure("handled above")
            }
            return applied
        }

        /// Deletes a session's ephemeral nodes (in path order) and forgets it.
        private mutating func closeSession(_ id: Int64, zxid: Int64, triggers: inout [WatchTrigger]) {
            let paths = (tree.ephemerals[id] ?? []).sorted { Node.precedes($0, $1) }
            for path in paths {
                tree.delete(path, zxid: zxid, triggers: &triggers)
            }
            sessions[id] = nil
        }

        /// The leader's container and TTL cleanup: deletes `path` if it is a
        /// container that has had children and has none now, or a TTL node
        /// without children unchanged for longer than its time to live.
        private mutating func deleteContainer(_ path: String, zxid: Int64, timeMilliseconds: Int64, triggers: inout [WatchTrigger]) -> Applied.Outcome {
            guard Path.isValid(path), !DataTree.specialPaths.contains(path) else { return .error(.badArguments) }
            guard let node = tree[path] else { return .error(.noNode) }
            guard node.children.isEmpty else { return .error(.notEmpty) }
            guard isDeletableContainer(node, atMilliseconds: timeMilliseconds) else { return .error(.badVersion) }
            tree.delete(path, zxid: zxid, triggers: &triggers)
            return .response(.empty)
        }

        /// Whether the leader may delete `node` at `time`: an empty container
        /// that has had children, or an empty TTL node whose time to live has
        /// passed since its last change.
        public func isDeletableContainer(_ node: Node, atMilliseconds time: Int64) -> Bool {
            guard node.children.isEmpty else { return false }
            if node.ephemeralOwner == EphemeralOwner.container { return node.cversion > 0 }
            if let ttl = EphemeralOwner.ttlMilliseconds(of: node.ephemeralOwner) {
                return time - node.mtime > ttl
            }
            return false
        }

        /// The containers and TTL nodes the leader may delete at `time`, in
        /// path order, at most `limit` of them (ZooKeeper's `ContainerManager`).
        public func deletableContainers(atMilliseconds time: Int64, limit: Int) -> [String] {
            var found: [String] = []
            for (path, node) in tree.nodes where node.ephemeralOwner < 0 && isDeletableContainer(node, atMilliseconds: time) {
                found.append(path)
            }
            return Array(found.sorted { Node.precedes($0, $1) }.prefix(limit))
        }
    }
}
