/// ZooKeeper's consistency guarantees ("ZooKeeper Programmer's Guide",
/// Consistency Guarantees), as a ``ZooKeeperHistory`` can show them broken.
public enum ZooKeeperGuarantee: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Writes take effect in one order, the zxid order, which respects real
    /// time, and each write is legal in that order.
    case linearizableWrites = "linearizable-writes"
    /// A read shows the state after exactly the writes up to its reply zxid
    /// (it is served by one replica, at one point of the write order).
    case sequentiallyConsistentReads = "sequentially-consistent-reads"
    /// A session's replies never go back in zxid, across reconnects too
    /// (FIFO client order; a client never sees an older state than it saw).
    case monotonicSessions = "monotonic-sessions"
    /// A sync's reply zxid covers every write completed before the sync
    /// began, so a read after it sees them.
    case syncThenRead = "sync-then-read"
    /// A client sees the watch event for a change before any reply that
    /// shows the change (or a later state), and a one-shot watch fires once.
    case watchOrder = "watch-order"

    public var description: String { rawValue }
}

/// One broken guarantee, with the operations that show it.
public struct ZooKeeperViolation: Sendable, Hashable, CustomStringConvertible {
    public var guarantee: ZooKeeperGuarantee
    /// The operations involved, by id.
    public var operations: [Int]
    public var explanation: String

    public var description: String { "\(guarantee): \(explanation)" }
}

/// The result of ``checkZooKeeperGuarantees(_:)``.
public struct ZooKeeperReport: Sendable {
    /// The violations found (at most ``Checker/zooKeeperViolationsReportedMax``).
    public var violations: [ZooKeeperViolation]
    /// How many operations and watch events were checked.
    public var operationCount: Int
    public var notificationCount: Int

    /// Whether no violation was found.
    public var holds: Bool { violations.isEmpty }

    /// Whether some violation breaks `guarantee`.
    public func violates(_ guarantee: ZooKeeperGuarantee) -> Bool {
        violations.contains { $0.guarantee == guarantee }
    }
}

extension Checker {
    /// The most violations a ZooKeeper check reports.
    public static let zooKeeperViolationsReportedMax = 50
}

/// Checks a ZooKeeper client history against ZooKeeper's guarantees.
///
/// ZooKeeper names its write order: every write's reply carries its zxid,
/// and every read's reply carries the zxid of the state it was served from
/// (and the stat's `mzxid` names the write it shows). So instead of
/// searching for a linearization, the check verifies the one the servers
/// claim, in time linear in the history (plus sorting):
///
/// 1. The writes with known zxids (ok writes, and `info` writes whose value
///    a read shows, pinned at that read's `mzxid`) have distinct zxids, in
///    an order that respects real time, and each is legal in that order
///    (create on an absent node, setData and delete on a present node with
///    a matching version). Paths with an `info` write no read pins are not
///    checked for legality: whether it happened is unknown.
/// 2. A read at reply zxid Z shows the last known write to its node at or
///    before Z: its value, its zxid as `mzxid` (and its version where
///    versions are known); absent if that write is a delete or there is none.
/// 3. Each session's reply zxids never decrease.
/// 4. A sync's reply zxid is at least that of every write completed before
///    the sync was invoked.
/// 5. After a read sets a watch at zxid Z, the session receives the event
///    before any reply with a zxid at or after the first write past Z that
///    fires the watch; an event arrives only while a watch is set, and its
///    type is one that a later write of the node produces.
///
/// Persistent watches, ACLs and multi are outside this model.
public func checkZooKeeperGuarantees(_ history: ZooKeeperHistory) -> ZooKeeperReport {
    var check = ZooKeeperCheck(history)
    check.run()
    return ZooKeeperReport(
        violations: check.violations, operationCount: history.operations.count,
        notificationCount: history.events.filter { if case .notification = $0.observation { true } else { false } }.count)
}

/// The state of one ZooKeeper check.
struct ZooKeeperCheck {
    /// A write whose place in the zxid order is known.
    struct KnownWrite {
        var operation: Int
        var zxid: Int64
    }

    let history: ZooKeeperHistory
    var violations: [ZooKeeperViolation] = []
    /// Known writes by path, in zxid order once sorted.
    var writesByPath: [String: [KnownWrite]] = [:]
    /// Zxid → the known write with it.
    var writeByZxid: [Int64: Int] = [:]
    /// Info writes pinned by a read: operation → zxid.
    var pinned: [Int: Int64] = [:]
    /// Paths with an info write no read pins.
    var uncertainPaths: Set<String> = []

    init(_ history: ZooKeeperHistory) {
        self.history = history
    }

    var operations: [ZooKeeperOperation] { history.operations }

    mutating func report(_ guarantee: ZooKeeperGuarantee, _ operations: [Int], _ explanation: String) {
        guard violations.count < Checker.zooKeeperViolationsReportedMax else { return }
        violations.append(ZooKeeperViolation(guarantee: guarantee, operations: operations.sorted(), explanation: explanation))
    }

    func name(_ id: Int) -> String {
        let operation = operations[id]
        return "\(operation.call) by process \(operation.process) (operation \(id))"
    }

    mutating func run() {
        collectWrites()
        checkRealTime()
        checkLegality()
        checkReads()
        checkSessions()
        checkSyncs()
        checkWatches()
    }

    /// The value a write leaves, or nil for a delete.
    func written(_ call: ZooKeeperCall) -> String? {
        switch call {
        case .create(_, let value), .setData(_, let value, _): value
        default: nil
        }
    }

    // MARK: - 1. The write order

    mutating func collectWrites() {
        var known: [KnownWrite] = operations.filter { $0.call.isWrite && $0.outcome == .ok && $0.zxid != nil }
            .map { KnownWrite(operation: $0.id, zxid: $0.zxid!) }
        let claimed = Set(known.map(\.zxid))
        // Pin info writes that reads show.
        for read in operations where read.outcome == .ok {
            guard case .read(let path, _) = read.call, let node = read.node, node.value != nil, !claimed.contains(node.modifiedZxid),
                pinned.values.contains(node.modifiedZxid) == false
            else { continue }
            let candidate = operations.first {
                $0.outcome == .info && $0.call.isWrite && $0.call.path == path && written($0.call) == node.value
                    && pinned[$0.id] == nil && $0.invokeIndex < (read.completionIndex ?? Int.max)
            }
            if let candidate {
                pinned[candidate.id] = node.modifiedZxid
                known.append(KnownWrite(operation: candidate.id, zxid: node.modifiedZxid))
            }
        }
        for operation in operations where operation.outcome == .info && operation.call.isWrite && pinned[operation.id] == nil {
            uncertainPaths.insert(operation.call.path)
        }
        for write in known {
            if let other = writeByZxid[write.zxid] {
                report(.linearizableWrites, [other, write.operation], "\(name(other)) and \(name(write.operation)) both took zxid \(write.zxid)")
                continue
            }
            writeByZxid[write.zxid] = write.operation
            writesByPath[operations[write.operation].call.path, default: []].append(write)
        }
        for path in writesByPath.keys { writesByPath[path]!.sort { $0.zxid < $1.zxid } }
    }

    /// A write that completed before another was invoked has the smaller zxid.
    mutating func checkRealTime() {
        var zxidOf: [Int: Int64] = [:]
        for writes in writesByPath.values { for write in writes { zxidOf[write.operation] = write.zxid } }
        var latestCompleted: (zxid: Int64, operation: Int)? = nil
        var floorAtInvoke: [Int: (zxid: Int64, operation: Int)] = [:]
        var invokedAt: [Int: Int] = [:]
        var completedAt: [Int: Int] = [:]
        for operation in operations where zxidOf[operation.id] != nil {
            invokedAt[operation.invokeIndex] = operation.id
            if let completion = operation.completionIndex { completedAt[completion] = operation.id }
        }
        for index in history.events.indices {
            if let id = invokedAt[index], let floor = latestCompleted { floorAtInvoke[id] = floor }
            if let id = completedAt[index], let zxid = zxidOf[id], latestCompleted.map({ zxid > $0.zxid }) ?? true {
                latestCompleted = (zxid, id)
            }
        }
        for (id, floor) in floorAtInvoke.sorted(by: { $0.key < $1.key }) where zxidOf[id]! <= floor.zxid {
            report(.linearizableWrites, [floor.operation, id],
                "\(name(floor.operation)) completed with zxid \(floor.zxid) before \(name(id)) began, yet the latter took zxid \(zxidOf[id]!)")
        }
    }

    /// Each write is legal when the writes are replayed in zxid order.
    mutating func checkLegality() {
        for path in writesByPath.keys.sorted() where !uncertainPaths.contains(path) {
            var version: Int32? = nil
            for write in writesByPath[path]! {
                let call = operations[write.operation].call
                switch call {
                case .create:
                    if version != nil {
                        report(.linearizableWrites, [write.operation], "\(name(write.operation)) succeeded at zxid \(write.zxid) although \(path) existed")
                    }
                    version = 0
                case .setData(_, _, let expected), .delete(_, let expected):
                    guard let current = version else {
                        report(.linearizableWrites, [write.operation], "\(name(write.operation)) succeeded at zxid \(write.zxid) although \(path) was absent")
                        continue
                    }
                    if expected != -1 && expected != current {
                        report(.linearizableWrites, [write.operation], "\(name(write.operation)) succeeded at zxid \(write.zxid) although the version was \(current)")
                    }
                    if case .delete = call { version = nil } else { version = current &+ 1 }
                default:
                    break
                }
            }
        }
    }

    // MARK: - 2. Reads

    /// The last known write to `path` at or before `zxid`, and the node's
    /// version after it (nil when uncertain).
    func state(of path: String, at zxid: Int64) -> (write: KnownWrite?, version: Int32?) {
        guard let writes = writesByPath[path] else { return (nil, nil) }
        var last: KnownWrite? = nil
        var version: Int32? = nil
        for write in writes {
            guard write.zxid <= zxid else { break }
            last = write
            switch operations[write.operation].call {
            case .create: version = 0
            case .setData: version = version.map { $0 &+ 1 }
            default: version = nil
            }
        }
        return (last, uncertainPaths.contains(path) ? nil : version)
    }

    mutating func checkReads() {
        for read in operations where read.outcome == .ok {
            guard case .read(let path, _) = read.call, let zxid = read.zxid else { continue }
            let (last, version) = state(of: path, at: zxid)
            if let node = read.node {
                guard let writer = writeByZxid[node.modifiedZxid], operations[writer].call.path == path else {
                    // A read that returned only the stat (exists) cannot pin
                    // an unknown write by its value: if one of this path was
                    // invoked before the read ended, it may have taken the
                    // zxid shown, and the read cannot be judged.
                    let mayBeUnknownWrite = node.value == nil && operations.contains {
                        $0.outcome == .info && pinned[$0.id] == nil && $0.call.isWrite && $0.call.path == path
                            && $0.invokeIndex < (read.completionIndex ?? Int.max)
                    }
                    if mayBeUnknownWrite { continue }
                    report(.sequentiallyConsistentReads, [read.id], "\(name(read.id)) shows mzxid \(node.modifiedZxid), which no write of \(path) produced")
                    continue
                }
                if node.modifiedZxid > zxid {
                    report(.sequentiallyConsistentReads, [read.id, writer], "\(name(read.id)) replied with zxid \(zxid) but shows \(name(writer)), which took zxid \(node.modifiedZxid)")
                } else if let last, last.zxid != node.modifiedZxid {
                    report(.sequentiallyConsistentReads, [read.id, last.operation], "\(name(read.id)) replied with zxid \(zxid) but misses \(name(last.operation)) at zxid \(last.zxid)")
                } else if let value = node.value, written(operations[writer].call) != value {
                    report(.sequentiallyConsistentReads, [read.id, writer], "\(name(read.id)) shows \(quoted(value)), but the write at its mzxid, \(name(writer)), wrote another value")
                } else if let version, version != node.version {
                    report(.sequentiallyConsistentReads, [read.id], "\(name(read.id)) shows version \(node.version) where the writes up to zxid \(zxid) make it \(version)")
                }
            } else if let last, written(operations[last.operation].call) != nil {
                let mayBeDeleted = operations.contains {
                    $0.outcome == .info && pinned[$0.id] == nil && $0.call.path == path
                        && { if case .delete = $0.call { true } else { false } }($0) && $0.invokeIndex < (read.completionIndex ?? Int.max)
                }
                if !mayBeDeleted {
                    report(.sequentiallyConsistentReads, [read.id, last.operation], "\(name(read.id)) found \(path) absent at zxid \(zxid) although \(name(last.operation)) wrote it at zxid \(last.zxid)")
                }
            }
        }
    }

    // MARK: - 3. Sessions

    mutating func checkSessions() {
        var highest: [Int: (zxid: Int64, operation: Int)] = [:]
        for operation in operations.sorted(by: { ($0.completionIndex ?? Int.max) < ($1.completionIndex ?? Int.max) }) {
            guard operation.completionIndex != nil, let zxid = operation.zxid, zxid >= 0 else { continue }
            if let seen = highest[operation.process], zxid < seen.zxid {
                report(.monotonicSessions, [seen.operation, operation.id],
                    "process \(operation.process) saw zxid \(seen.zxid) in \(name(seen.operation)), then went back to zxid \(zxid) in \(name(operation.id))")
            }
            if highest[operation.process].map({ zxid > $0.zxid }) ?? true { highest[operation.process] = (zxid, operation.id) }
        }
    }

    // MARK: - 4. Sync

    mutating func checkSyncs() {
        var latest: (zxid: Int64, operation: Int)? = nil
        var byCompletion: [Int: Int] = [:]
        var byInvoke: [Int: Int] = [:]
        for operation in operations {
            if operation.call.isWrite, operation.outcome == .ok, let completion = operation.completionIndex { byCompletion[completion] = operation.id }
            if case .sync = operation.call, operation.outcome == .ok { byInvoke[operation.invokeIndex] = operation.id }
        }
        for index in history.events.indices {
            if let sync = byInvoke[index], let latest, let zxid = operations[sync].zxid, zxid < latest.zxid {
                report(.syncThenRead, [latest.operation, sync], "\(name(sync)) replied with zxid \(zxid), behind \(name(latest.operation)) (zxid \(latest.zxid)), which completed before the sync began")
            }
            if let write = byCompletion[index], let zxid = operations[write].zxid, latest.map({ zxid > $0.zxid }) ?? true {
                latest = (zxid, write)
            }
        }
    }

    // MARK: - 5. Watches

    struct Registration {
        var read: Int
        var path: String
        /// The zxid of the read that set it.
        var zxid: Int64
        /// The zxid of the first known write that fires it, if any.
        var firingZxid: Int64?
        var firingWrite: Int?
        /// Set once the session was seen past the firing write without the
        /// event; the late event, if it comes, is not reported again.
        var reportedLate = false
    }

    /// The first known write to `path` after `zxid` that fires a data watch
    /// (`present`) or an exists watch (absent).
    func firing(_ path: String, after zxid: Int64, present: Bool) -> KnownWrite? {
        writesByPath[path]?.first { write in
            guard write.zxid > zxid else { return false }
            if case .create = operations[write.operation].call { return !present }
            return present
        }
    }

    /// Whether some known write of `path` after `zxid` produces an event of
    /// `type`: a create a created event, a delete a deleted one, a setData a
    /// data-changed one, and so does a create after a delete (a client that
    /// re-registers its watch after reconnecting learns of a recreated node
    /// as a data change).
    func producible(_ type: ZooKeeperWatchEventType, _ path: String, after zxid: Int64) -> Bool {
        (writesByPath[path] ?? []).contains { write in
            guard write.zxid > zxid else { return false }
            switch (operations[write.operation].call, type) {
            case (.create, .created), (.delete, .deleted), (.setData, .dataChanged), (.create, .dataChanged): return true
            default: return false
            }
        }
    }

    mutating func checkWatches() {
        var completionOf: [Int: Int] = [:]
        for operation in operations { if let completion = operation.completionIndex { completionOf[completion] = operation.id } }
        var outstanding: [Int: [Registration]] = [:]
        for (index, event) in history.events.enumerated() {
            if case .notification(let path, let type) = event.observation {
                let matching = outstanding[event.process, default: []].filter { $0.path == path }
                if matching.isEmpty {
                    report(.watchOrder, [], "process \(event.process) received a \(type.rawValue) event for \(path) (event \(index)) with no watch set: a one-shot watch fired twice, or an event came from nowhere")
                }
                if let first = matching.first, !uncertainPaths.contains(path), !producible(type, path, after: first.zxid) {
                    report(.watchOrder, [first.read], "process \(event.process) received a \(type.rawValue) event for \(path), but no write of \(path) after the watch set by \(name(first.read)) produces one")
                }
                outstanding[event.process]?.removeAll { $0.path == path }
                continue
            }
            guard let id = completionOf[index] else { continue }
            let operation = operations[id]
            if let zxid = operation.zxid, zxid >= 0 {
                for position in outstanding[event.process, default: []].indices {
                    let registration = outstanding[event.process]![position]
                    guard !registration.reportedLate, let firingZxid = registration.firingZxid, firingZxid <= zxid else { continue }
                    report(.watchOrder, [registration.read, registration.firingWrite!, id],
                        "process \(event.process) saw zxid \(zxid) in \(name(id)) before the watch event that \(name(registration.firingWrite!)) (zxid \(firingZxid)) fires for the watch set by \(name(registration.read))")
                    outstanding[event.process]![position].reportedLate = true
                }
            }
            if case .read(let path, true) = operation.call, operation.outcome == .ok, let zxid = operation.zxid {
                let write = firing(path, after: zxid, present: operation.node != nil)
                outstanding[event.process, default: []].append(
                    Registration(read: id, path: path, zxid: zxid, firingZxid: write?.zxid, firingWrite: write?.operation))
            }
        }
    }
}
