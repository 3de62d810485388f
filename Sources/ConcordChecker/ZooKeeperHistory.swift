/// What a ZooKeeper client asked for, in a ``ZooKeeperHistory``.
///
/// The model is deliberately small: znodes are independent registers
/// (parents are assumed to exist), written by create, setData and delete,
/// and read by a read that may set a one-shot watch (getData or exists).
public enum ZooKeeperCall: Sendable, Hashable, CustomStringConvertible {
    /// Creates `path` with `value`; legal only if the node is absent.
    case create(path: String, value: String)
    /// Sets the value if the version matches (-1: any); legal only if present.
    case setData(path: String, value: String, version: Int32 = -1)
    /// Deletes the node if the version matches (-1: any); legal only if present.
    case delete(path: String, version: Int32 = -1)
    /// Reads the node; with `watch`, sets a one-shot watch: a data watch if
    /// the node was there (fires on setData or delete), an exists watch if
    /// it was not (fires on create).
    case read(path: String, watch: Bool = false)
    /// ZooKeeper's sync.
    case sync(path: String)

    /// The node the call names.
    public var path: String {
        switch self {
        case .create(let path, _), .setData(let path, _, _), .delete(let path, _), .read(let path, _), .sync(let path): path
        }
    }

    /// Whether the call changes the tree.
    public var isWrite: Bool {
        switch self {
        case .create, .setData, .delete: true
        case .read, .sync: false
        }
    }

    public var description: String {
        switch self {
        case .create(let path, let value): "create(\(path), \(quoted(value)))"
        case .setData(let path, let value, let version): "setData(\(path), \(quoted(value)), version \(version))"
        case .delete(let path, let version): "delete(\(path), version \(version))"
        case .read(let path, let watch): watch ? "read(\(path), watch)" : "read(\(path))"
        case .sync(let path): "sync(\(path))"
        }
    }
}

/// A node as a read saw it: its value (nil when the read returned only the
/// stat, as exists does), version and the zxid of the write that set it
/// (the stat's `mzxid`).
public struct ZooKeeperNodeSeen: Sendable, Hashable {
    public var value: String?
    public var version: Int32
    public var modifiedZxid: Int64

    public init(value: String?, version: Int32, modifiedZxid: Int64) {
        self.value = value
        self.version = version
        self.modifiedZxid = modifiedZxid
    }
}

/// The kinds of watch event the model knows.
public enum ZooKeeperWatchEventType: String, Sendable, Hashable, CaseIterable {
    case created, deleted, dataChanged
}

/// One thing a ZooKeeper client observed, in the order it observed it.
public struct ZooKeeperHistoryEvent: Sendable, Hashable {
    /// What was observed.
    public enum Observation: Sendable, Hashable {
        /// The process sent a request.
        case invoke(ZooKeeperCall)
        /// A write or sync succeeded; `zxid` is its reply header's zxid.
        case ok(zxid: Int64)
        /// A read succeeded at reply zxid `zxid`; `node` is nil if the node was absent.
        case read(zxid: Int64, node: ZooKeeperNodeSeen?)
        /// The request failed and changed nothing; its reply zxid, if one came.
        case fail(zxid: Int64?)
        /// The outcome is unknown (the connection was lost with the request
        /// in flight); the process issues nothing more.
        case info
        /// A watch event arrived (it may arrive while a request is open).
        case notification(path: String, type: ZooKeeperWatchEventType)
    }

    /// The client process: one ZooKeeper session, across reconnects.
    public var process: Int
    public var observation: Observation
    /// Informative; must not go backwards.
    public var time: Int64

    public init(process: Int, _ observation: Observation, time: Int64) {
        self.process = process
        self.observation = observation
        self.time = time
    }
}

/// One request of a ``ZooKeeperHistory``: an invocation and how it ended.
public struct ZooKeeperOperation: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable { case ok, fail, info }

    /// The index in ``ZooKeeperHistory/operations``.
    public var id: Int
    public var process: Int
    public var call: ZooKeeperCall
    public var outcome: Outcome
    /// The reply zxid of a completed request.
    public var zxid: Int64?
    /// For a read that succeeded: the node seen (nil: absent).
    public var node: ZooKeeperNodeSeen?
    public var invokeIndex: Int
    public var completionIndex: Int?
}

/// A validated ZooKeeper client history: events in the order clients
/// observed them, paired into operations.
///
/// Rules: each process has at most one open request; a completion pairs
/// with its process's open request (`read` completions only with reads, `ok`
/// only with writes and syncs); nothing follows a process's `info`; time
/// does not go backwards. A request still open at the end counts as `info`.
public struct ZooKeeperHistory: Sendable {
    public private(set) var events: [ZooKeeperHistoryEvent]
    public private(set) var operations: [ZooKeeperOperation]

    /// Why events do not form a history.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// The index of the first event that breaks a rule.
        public var index: Int
        public var problem: String
        public var description: String { "event \(index): \(problem)" }
    }

    /// Validates and pairs `events`.
    public init(_ events: [ZooKeeperHistoryEvent]) throws(Invalid) {
        self.events = events
        var operations: [ZooKeeperOperation] = []
        var open: [Int: Int] = [:]
        var ended: Set<Int> = []
        for (index, event) in events.enumerated() {
            if index > 0, event.time < events[index - 1].time { throw Invalid(index: index, problem: "time went backwards") }
            if case .notification = event.observation { continue }
            if ended.contains(event.process) { throw Invalid(index: index, problem: "process \(event.process) acts after its info") }
            if case .invoke(let call) = event.observation {
                if open[event.process] != nil { throw Invalid(index: index, problem: "process \(event.process) already has an open request") }
                open[event.process] = operations.count
                operations.append(ZooKeeperOperation(
                    id: operations.count, process: event.process, call: call, outcome: .info, zxid: nil, node: nil,
                    invokeIndex: index, completionIndex: nil))
                continue
            }
            guard let id = open.removeValue(forKey: event.process) else {
                throw Invalid(index: index, problem: "a completion of process \(event.process) without an open request")
            }
            operations[id].completionIndex = index
            let isRead = if case .read = operations[id].call { true } else { false }
            switch event.observation {
            case .ok(let zxid):
                guard !isRead else { throw Invalid(index: index, problem: "a read must complete with `read`") }
                operations[id].outcome = .ok
                operations[id].zxid = zxid
            case .read(let zxid, let node):
                guard isRead else { throw Invalid(index: index, problem: "only a read completes with `read`") }
                operations[id].outcome = .ok
                operations[id].zxid = zxid
                operations[id].node = node
            case .fail(let zxid):
                operations[id].outcome = .fail
                operations[id].zxid = zxid
            case .info:
                operations[id].outcome = .info
                operations[id].completionIndex = nil
                ended.insert(event.process)
            case .invoke, .notification:
                preconditionFailure("handled above")
            }
        }
        self.operations = operations
    }
}
