/// Checks a kv history against session guarantees.
///
/// Every key's versions were written in some order. Each guarantee turns
/// what a process saw into constraints on that order ("version a comes no
/// later than version c"), and the history violates the guarantees when the
/// constraints, together with the facts every store obeys (the initial
/// absent state comes first; a `cas` that swapped replaced the version it
/// expected), contain a cycle. Each violation is such a cycle, with the
/// operations that produced every constraint in it.
///
/// Requires written values to be unique per key (``SessionCheckError``
/// otherwise). Only `ok` operations of a process create obligations; values
/// of `info` writes may be read. A read of an absent key is matched to the
/// initial state only when the key is never deleted (otherwise it is
/// ambiguous and ignored). Across keys, monotonic writes and writes follow
/// reads are checked, together with monotonic reads, through the observing
/// process's next read of the earlier key after it saw the later write.
/// - Parameters:
///   - history: a validated kv history.
///   - guarantees: the guarantees to check (all by default).
/// - Returns: the violations found.
/// - Throws: ``SessionCheckError/duplicateWrite(key:value:operations:)``.
public func checkSessionGuarantees(
    _ history: History, guarantees: Set<SessionGuarantee> = Set(SessionGuarantee.allCases)
) throws(SessionCheckError) -> SessionReport {
    var check = try SessionGuaranteeCheck(history, guarantees: guarantees)
    check.collectSessionConstraints()
    return SessionReport(checked: guarantees, violations: check.violations())
}

/// The state of one session-guarantee check: every key's versions and the
/// constraints on their order.
struct SessionGuaranteeCheck {
    /// Where a constraint on the version order comes from.
    enum Source {
        case initialFirst, casReplaced
        case readYourWrites, monotonicReads
        case monotonicWrites, monotonicWritesAcrossKeys
        case writesFollowReads, writesFollowReadsAcrossKeys

        /// The guarantees that together demand the constraint; empty for a
        /// fact every store obeys.
        ///
        /// Across keys, monotonic writes and writes follow reads constrain
        /// what an observer sees only if its reads are also monotonic: a
        /// server that has the later write must have the earlier one, and
        /// monotonic reads make the observer's later read go to a server
        /// that has the write it saw (Terry et al.'s definitions).
        var guarantees: [SessionGuarantee] {
            switch self {
            case .initialFirst, .casReplaced: []
            case .readYourWrites: [.readYourWrites]
            case .monotonicReads: [.monotonicReads]
            case .monotonicWrites: [.monotonicWrites]
            case .monotonicWritesAcrossKeys: [.monotonicReads, .monotonicWrites]
            case .writesFollowReads: [.writesFollowReads]
            case .writesFollowReadsAcrossKeys: [.monotonicReads, .writesFollowReads]
            }
        }

        /// Whether the constraint is a fact every store obeys.
        var isFact: Bool { guarantees.isEmpty }
    }

    /// "Version `earlier` is not later than version `later`", because of
    /// `operations` (up to four ids; unused slots are -1).
    struct Constraint {
        var earlier: Int
        var later: Int
        var source: Source
        var operations: (Int, Int, Int, Int)

        var operationIds: [Int] {
            [operations.0, operations.1, operations.2, operations.3].filter { $0 >= 0 }
        }
    }

    /// One key's versions (node 0 is the initial absent state) and constraints.
    struct KeyVersions {
        var key: String
        var names: [String?] = [nil]
        var node: [String: Int] = [:]
        var constraints: [Constraint] = []
        var deleted = false
        /// Version → the `ok` or `info` operation that wrote it.
        var writer: [Int: Int] = [:]
    }

    /// A version of a key as seen by an operation.
    struct Seen {
        var key: Int
        var version: Int
        var operation: Int
    }

    let history: History
    let guarantees: Set<SessionGuarantee>
    var keys: [KeyVersions] = []
    var keyIndex: [String: Int] = [:]

    init(_ history: History, guarantees: Set<SessionGuarantee>) throws(SessionCheckError) {
        self.history = history
        self.guarantees = guarantees
        for key in history.keys {
            keyIndex[key] = keys.count
            keys.append(KeyVersions(key: key))
        }
        var writer: [String: [String: Int]] = [:]
        for operation in history.operations where operation.outcome != .fail {
            let key = keyIndex[operation.key]!
            if operation.function == .delete { keys[key].deleted = true }
            guard let value = operation.value, operation.function == .put || operation.function == .cas else { continue }
            if let other = writer[operation.key]?[value] {
                throw .duplicateWrite(key: operation.key, value: value, operations: [other, operation.id])
            }
            writer[operation.key, default: [:]][value] = operation.id
            let version = node(key, value)
            keys[key].writer[version] = operation.id
            constrain(key, 0, version, .initialFirst, operation.id)
            if operation.function == .cas, let expected = self.version(key, operation.expected) {
                constrain(key, expected, version, .casReplaced, operation.id)
            }
        }
    }

    /// The node of a written or read value, creating it on first sight.
    mutating func node(_ key: Int, _ value: String) -> Int {
        if let existing = keys[key].node[value] { return existing }
        let created = keys[key].names.count
        keys[key].names.append(value)
        keys[key].node[value] = created
        return created
    }

    /// The version a value denotes, or `nil` if absence is ambiguous.
    mutating func version(_ key: Int, _ value: String?) -> Int? {
        guard let value else { return keys[key].deleted ? nil : 0 }
        return node(key, value)
    }

    mutating func constrain(_ key: Int, _ earlier: Int, _ later: Int, _ source: Source, _ a: Int, _ b: Int = -1, _ c: Int = -1, _ d: Int = -1) {
        guard earlier != later else { return }
        guard guarantees.isSuperset(of: source.guarantees) else { return }
        keys[key].constraints.append(Constraint(earlier: earlier, later: later, source: source, operations: (a, b, c, d)))
    }

    /// What an `ok` operation wrote and read, as versions.
    mutating func effects(_ operation: HistoryOperation) -> (read: Seen?, written: Seen?) {
        let key = keyIndex[operation.key]!
        switch operation.function {
        case .get:
            return (version(key, operation.result).map { Seen(key: key, version: $0, operation: operation.id) }, nil)
        case .put:
            return (nil, Seen(key: key, version: node(key, operation.value!), operation: operation.id))
        case .cas:
            let read = version(key, operation.expected).map { Seen(key: key, version: $0, operation: operation.id) }
            return (read, Seen(key: key, version: node(key, operation.value!), operation: operation.id))
        case .delete:
            return (nil, nil)
        }
    }

    /// What a process had written and read, per key, just before a write:
    /// the context in which that write's observers are judged across keys.
    struct WriteContext {
        var process: Int
        var lastWrite: [Int: Seen]
        var lastRead: [Int: Seen]
    }

    mutating func collectSessionConstraints() {
        let sessions = Dictionary(grouping: history.operations.filter { $0.outcome == .ok }, by: \.process)
        var contexts: [Int: [Int: WriteContext]] = [:]  // key → version → context
        for process in sessions.keys.sorted() {
            var writes: [Int: [Seen]] = [:]
            var reads: [Int: [Int: Seen]] = [:]  // key → version → latest read of it
            var lastRead: [Int: Seen] = [:]
            var lastWrite: [Int: Seen] = [:]
            for operation in sessions[process]! {
                let (read, written) = effects(operation)
                if let read {
                    for write in writes[read.key, default: []] {
                        constrain(read.key, write.version, read.version, .readYourWrites, write.operation, read.operation)
                    }
                    if let previous = lastRead[read.key] {
                        constrain(read.key, previous.version, read.version, .monotonicReads, previous.operation, read.operation)
                    }
                }
                if let written {
                    if let previous = lastWrite[written.key] {
                        constrain(written.key, previous.version, written.version, .monotonicWrites, previous.operation, written.operation)
                    }
                    for earlier in reads[written.key, default: [:]].values.sorted(by: { $0.operation < $1.operation }) {
                        constrain(written.key, earlier.version, written.version, .writesFollowReads, earlier.operation, written.operation)
                    }
                    contexts[written.key, default: [:]][written.version] = WriteContext(process: process, lastWrite: lastWrite, lastRead: lastRead)
                }
                if let read {
                    reads[read.key, default: [:]][read.version] = read
                    lastRead[read.key] = read
                }
                if let written {
                    writes[written.key, default: []].append(written)
                    lastWrite[written.key] = written
                }
            }
        }
        // Across keys: an observer that saw a write must afterwards see what
        // its writer had written (monotonic writes) or read (writes follow
        // reads) on other keys before it.
        for process in sessions.keys.sorted() {
            var nextRead: [Int: Seen] = [:]
            for operation in sessions[process]!.reversed() {
                let (read, _) = effects(operation)
                guard let read else { continue }
                if let context = contexts[read.key]?[read.version] {
                    for (key, earlier) in context.lastWrite.sorted(by: { $0.key < $1.key }) where key != read.key {
                        if let later = nextRead[key] {
                            constrain(key, earlier.version, later.version, .monotonicWritesAcrossKeys,
                                      earlier.operation, writerOf(read), read.operation, later.operation)
                        }
                    }
                    for (key, earlier) in context.lastRead.sorted(by: { $0.key < $1.key }) where key != read.key {
                        if let later = nextRead[key] {
                            constrain(key, earlier.version, later.version, .writesFollowReadsAcrossKeys,
                                      earlier.operation, writerOf(read), read.operation, later.operation)
                        }
                    }
                }
                nextRead[read.key] = read
            }
        }
    }

    /// The `ok` or `info` operation that wrote the version a read saw, or -1.
    func writerOf(_ read: Seen) -> Int {
        keys[read.key].writer[read.version] ?? -1
    }
}
