extension ZooKeeper {
    /// One server's watches, by session (ZooKeeper's two `WatchManager`s,
    /// one for data and existence watches, one for child watches).
    ///
    /// A (path, session) pair has one mode per manager, and the latest
    /// registration sets it, as in ZooKeeper 3.8: a standard watch fires
    /// once and is gone; a persistent watch (registered in both managers)
    /// fires on every change to its node and its children list; a
    /// persistent-recursive watch fires on every change at or below its
    /// node, except children-list changes.
    ///
    /// Watches are local: they live on the server the client is connected
    /// to, vanish with the connection, and are re-registered by the client
    /// (setWatches) after it reconnects.
    public struct WatchTable: Sendable {
        /// How a registration fires.
        public enum Mode: UInt8, Sendable, Hashable {
            case standard, persistent, persistentRecursive
        }

        /// Which of the two managers.
        enum Kind { case data, child }

        private var data: [String: [Int64: Mode]] = [:]
        private var child: [String: [Int64: Mode]] = [:]
        private var recursiveCount = 0
        private var pathsBySession: [Int64: Set<String>] = [:]

        /// An empty table.
        public init() {}

        /// The number of registrations (a persistent watch counts twice, as
        /// it sits in both managers).
        public var count: Int {
            data.values.reduce(0) { $0 + $1.count } + child.values.reduce(0) { $0 + $1.count }
        }

        /// Registers a one-shot data watch (getData, exists).
        public mutating func addDataWatch(_ path: String, session: Int64) {
            add(.data, path, session, .standard)
        }

        /// Registers a one-shot child watch (getChildren).
        public mutating func addChildWatch(_ path: String, session: Int64) {
            add(.child, path, session, .standard)
        }

        /// Registers a persistent or persistent-recursive watch (addWatch),
        /// in both managers as ZooKeeper 3.8 does.
        public mutating func addPersistentWatch(_ path: String, session: Int64, mode: AddWatchMode) {
            let watchMode: Mode = mode == .persistent ? .persistent : .persistentRecursive
            add(.data, path, session, watchMode)
            add(.child, path, session, watchMode)
        }

        /// Whether the session has a watch of `type` on `path` (checkWatches).
        public func contains(_ path: String, type: WatcherType, session: Int64) -> Bool {
            let inData = data[path]?[session] != nil
            let inChild = child[path]?[session] != nil
            switch type {
            case .data: return inData
            case .children: return inChild
            case .any: return inData || inChild
            }
        }

        /// Removes the session's watches of `type` on `path`; false if there
        /// were none (removeWatches answers NOWATCHER then).
        public mutating func remove(_ path: String, type: WatcherType, session: Int64) -> Bool {
            var removed = false
            if type != .children { removed = remove(.data, path, session) || removed }
            if type != .data { removed = remove(.child, path, session) || removed }
            return removed
        }

        /// Removes every watch of a session (its connection closed or it ended).
        public mutating func removeSession(_ session: Int64) {
            guard let paths = pathsBySession.removeValue(forKey: session) else { return }
            for path in paths {
                if let mode = data[path]?.removeValue(forKey: session), mode == .persistentRecursive { recursiveCount -= 1 }
                if data[path]?.isEmpty == true { data[path] = nil }
                if let mode = child[path]?.removeValue(forKey: session), mode == .persistentRecursive { recursiveCount -= 1 }
                if child[path]?.isEmpty == true { child[path] = nil }
            }
        }

        /// The events the triggers of one transaction produce, in order,
        /// each for one session (one event per session per trigger, however
        /// many of its watches match), with the ACL of the node the event is
        /// about: a session that may not read under it is not to be told.
        /// One-shot watches that fire are removed.
        public mutating func fire(_ triggers: [WatchTrigger]) -> [(session: Int64, event: WatcherEvent, acl: [ACL])] {
            var events: [(session: Int64, event: WatcherEvent, acl: [ACL])] = []
            for trigger in triggers {
                var sessions: [Int64] = []
                switch trigger.type {
                case .nodeCreated, .nodeDataChanged:
                    sessions = fire(.data, trigger.path, trigger.type, suppressing: [])
                case .nodeDeleted:
                    let fromData = fire(.data, trigger.path, trigger.type, suppressing: [])
                    sessions = fromData + fire(.child, trigger.path, trigger.type, suppressing: Set(fromData))
                case .nodeChildrenChanged:
                    sessions = fire(.child, trigger.path, trigger.type, suppressing: [])
                default:
                    continue
                }
                for session in sessions {
                    events.append((session, WatcherEvent(type: trigger.type, path: trigger.path), trigger.acl))
                }
            }
            return events
        }

        /// The sessions one manager notifies for an event at `path`, sorted,
        /// removing the one-shot registrations that fire.
        private mutating func fire(_ kind: Kind, _ path: String, _ type: EventType, suppressing: Set<Int64>) -> [Int64] {
            var notified: Set<Int64> = []
            let candidates = recursiveCount > 0 ? Path.selfAndAncestors(of: path) : [path]
            for localPath in candidates {
                guard let watchers = table(kind)[localPath] else { continue }
                for (session, mode) in watchers {
                    switch mode {
                    case .persistentRecursive:
                        if type != .nodeChildrenChanged { notified.insert(session) }
                    case .persistent where localPath == path:
                        notified.insert(session)
                    case .standard where localPath == path:
                        notified.insert(session)
                        _ = remove(kind, localPath, session)
                    default:
                        break
                    }
                }
            }
            return notified.subtracting(suppressing).sorted()
        }

        private func table(_ kind: Kind) -> [String: [Int64: Mode]] {
            kind == .data ? data : child
        }

        private mutating func add(_ kind: Kind, _ path: String, _ session: Int64, _ mode: Mode) {
            let previous: Mode?
            switch kind {
            case .data: previous = data[path, default: [:]].updateValue(mode, forKey: session)
            case .child: previous = child[path, default: [:]].updateValue(mode, forKey: session)
            }
            if previous == .persistentRecursive { recursiveCount -= 1 }
            if mode == .persistentRecursive { recursiveCount += 1 }
            pathsBySession[session, default: []].insert(path)
        }

        private mutating func remove(_ kind: Kind, _ path: String, _ session: Int64) -> Bool {
            let previous: Mode?
            switch kind {
            case .data:
                previous = data[path]?.removeValue(forKey: session)
                if data[path]?.isEmpty == true { data[path] = nil }
            case .child:
                previous = child[path]?.removeValue(forKey: session)
                if child[path]?.isEmpty == true { child[path] = nil }
            }
            guard let previous else { return false }
            if previous == .persistentRecursive { recursiveCount -= 1 }
            if data[path]?[session] == nil && child[path]?[session] == nil {
                pathsBySession[session]?.remove(path)
                if pathsBySession[session]?.isEmpty == true { pathsBySession[session] = nil }
            }
            return true
        }
    }
}
