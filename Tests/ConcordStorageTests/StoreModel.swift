import ConcordFoundation
@testable import ConcordStorage

/// What a node store should hold, kept in memory: the reference for the
/// property and crash tests.
struct StoreModel: Equatable, CustomStringConvertible {
    var snapshot: Storage.SnapshotRecord?
    var hardState: Storage.VoteRecord?
    /// The entries after the snapshot.
    var log: [Storage.LogRecord] = []

    var snapshotIndex: UInt64 { snapshot?.index ?? 0 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(log.count) }
    var lastTerm: UInt64 { log.last?.term ?? snapshot?.term ?? 0 }

    var description: String {
        "snapshot \(snapshot.map { "\($0.index)@\($0.term)" } ?? "none"), hard state \(String(describing: hardState)), "
            + "log \(snapshotIndex + 1)...\(lastIndex) terms \(log.map(\.term))"
    }

    /// The state a freshly opened store reports.
    static func observe(_ store: Storage.NodeStore) throws -> StoreModel {
        StoreModel(snapshot: store.recovery.snapshot, hardState: store.recovery.hardState, log: try allEntries(store))
    }

    mutating func apply(_ operation: StoreOperation) {
        switch operation {
        case let .append(entries):
            log += entries
        case let .truncate(index):
            log.removeLast(Int(lastIndex + 1 - index))
        case let .saveSnapshot(new):
            if new.index <= lastIndex, log.first(where: { $0.index == new.index })?.term == new.term {
                log.removeFirst(Int(new.index - snapshotIndex))
            } else {
                log = []
            }
            snapshot = new
        case let .saveHardState(state):
            hardState = state
        case .restart, .crashAndRestart:
            break
        }
    }

    /// Turns a generated code into an operation that is valid now.
    func operation(from code: Int) -> StoreOperation {
        let parameter = code / 7
        switch code % 7 {
        case 0, 1:
            let term = lastTerm + (parameter % 3 == 0 ? 1 : 0)
            return .append(makeEntries(from: lastIndex + 1, count: 1 + parameter % 8, term: max(term, 1), seed: UInt64(code)))
        case 2:
            return .truncate(from: snapshotIndex + 1 + UInt64(parameter % (log.count + 1)))
        case 3 where !log.isEmpty:
            let entry = log[parameter % log.count]
            return .saveSnapshot(Storage.SnapshotRecord(index: entry.index, term: entry.term, data: Array("state@\(entry.index)".utf8)))
        case 3, 4:
            // A snapshot from a leader that replaces the whole log.
            let index = lastIndex + UInt64(log.isEmpty ? 1 : parameter % 3)
            return .saveSnapshot(Storage.SnapshotRecord(index: index, term: lastTerm + 1, data: Array("installed@\(index)".utf8)))
        case 5:
            let vote: UInt64? = parameter % 2 == 0 ? nil : UInt64(parameter % 5)
            return .saveHardState(Storage.VoteRecord(term: UInt64(parameter), vote: vote, commit: min(lastIndex, UInt64(parameter))))
        default:
            return parameter % 2 == 0 ? .restart : .crashAndRestart
        }
    }
}

enum StoreOperation: CustomStringConvertible {
    case append([Storage.LogRecord])
    case truncate(from: UInt64)
    case saveSnapshot(Storage.SnapshotRecord)
    case saveHardState(Storage.VoteRecord)
    case restart
    case crashAndRestart

    var description: String {
        switch self {
        case let .append(entries): "append \(entries.first!.index)...\(entries.last!.index)"
        case let .truncate(index): "truncate from \(index)"
        case let .saveSnapshot(snapshot): "snapshot \(snapshot.index)@\(snapshot.term)"
        case let .saveHardState(state): "hard state \(state)"
        case .restart: "restart"
        case .crashAndRestart: "crash and restart"
        }
    }
}

/// Runs operations against a store on a simulated file system and against
/// the model, and reports every way they disagree.
///
/// With `crashAfter`, the file system stops at that mutating call; the
/// harness then simulates power loss (keeping random prefixes of unsynced
/// changes), reopens, and checks that the recovered state lies between the
/// model before and after the interrupted operation: nothing that was
/// reported durable is lost, and nothing appears that was never written.
struct StoreHarness {
    let fileSystem = Storage.SimulatedFileSystem()
    var generator: SplitMix64
    var model = StoreModel()
    var violations: [String] = []
    var trace: [String] = []

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func run(codes: [Int], crashAfter: Int? = nil, lyingDisk: Bool = false) {
        fileSystem.syncsAreIgnored = lyingDisk
        if let crashAfter { fileSystem.crashAfter(operations: crashAfter) }
        var store: Storage.NodeStore
        do {
            store = try openSimulated(fileSystem)
        } catch {
            return recoverAfterCrash(error: error, before: model, after: model, operation: .restart)
        }
        for code in codes {
            let operation = model.operation(from: code)
            trace.append(operation.description)
            var after = model
            after.apply(operation)
            do {
                try perform(operation, on: &store)
            } catch {
                store.close()
                return recoverAfterCrash(error: error, before: model, after: after, operation: operation)
            }
            model = after
            do {
                if case .restart = operation { try check(StoreModel.observe(store), equals: model) }
                if case .crashAndRestart = operation { try check(StoreModel.observe(store), equals: model) }
                let entries = try store.log.entries(in: (model.snapshotIndex + 1)..<(model.lastIndex + 1))
                if entries != model.log { violations.append("log differs after \(operation): \(entries.map(\.index))") }
            } catch {
                violations.append("reading after \(operation) failed: \(error)")
            }
            if !violations.isEmpty { break }
        }
        store.close()
        do {
            let reopened = try openSimulated(fileSystem)
            defer { reopened.close() }
            try check(StoreModel.observe(reopened), equals: model)
        } catch {
            violations.append("final reopen failed: \(error)")
        }
    }

    mutating func perform(_ operation: StoreOperation, on store: inout Storage.NodeStore) throws {
        switch operation {
        case let .append(entries): try store.log.appendAndWait(entries)
        case let .truncate(index): try store.log.truncateAndWait(from: index)
        case let .saveSnapshot(snapshot): try store.saveSnapshot(snapshot)
        case let .saveHardState(state): try store.saveHardState(state)
        case .restart:
            store.close()
            store = try openSimulated(fileSystem)
        case .crashAndRestart:
            fileSystem.crash(using: &generator)
            store.close()
            store = try openSimulated(fileSystem)
        }
    }

    mutating func check(_ observed: StoreModel, equals expected: StoreModel) {
        if observed != expected { violations.append("recovered \(observed), expected \(expected)") }
    }

    mutating func recoverAfterCrash(error: Error, before: StoreModel, after: StoreModel, operation: StoreOperation) {
        guard fileSystem.isStopped else {
            violations.append("\(operation) failed without a crash: \(error)")
            return
        }
        fileSystem.crash(using: &generator)
        let recovered: StoreModel
        do {
            let store = try openSimulated(fileSystem)
            defer { store.close() }
            recovered = try StoreModel.observe(store)
        } catch {
            violations.append("recovery after a crash in \(operation) failed: \(error)")
            return
        }
        if recovered == before || recovered == after { return }
        let sameRest = recovered.snapshot == before.snapshot && recovered.hardState == before.hardState
        switch operation {
        case .append:
            if sameRest && before.log.isPrefix(of: recovered.log) && recovered.log.isPrefix(of: after.log) { return }
        case .truncate:
            if sameRest && after.log.isPrefix(of: recovered.log) && recovered.log.isPrefix(of: before.log) { return }
        default:
            break
        }
        violations.append("after a crash in \(operation): recovered \(recovered); before \(before); after \(after)")
    }
}

extension Array where Element: Equatable {
    func isPrefix(of other: [Element]) -> Bool {
        count <= other.count && self[...] == other[..<count]
    }
}
