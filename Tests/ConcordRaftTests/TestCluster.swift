import ConcordFoundation
@testable import ConcordRaft

/// A tiny in-test network: nodes stepped directly, messages delivered in
/// FIFO order, links that can be cut, storage in memory. Persist requests
/// complete at once unless `manualPersist` holds them for a test to release.
struct TestCluster {
    var nodes: [MemberID: RaftNode] = [:]
    var storages: [MemberID: MemoryRaftStorage] = [:]
    var configurations: [MemberID: RaftConfiguration] = [:]
    var inFlight: [RaftMessage] = []
    var delivered: [RaftMessage] = []
    /// Links that drop messages, as (from, to).
    var cutLinks: Set<[MemberID]> = []
    var applied: [MemberID: [LogEntry]] = [:]
    var installedSnapshots: [MemberID: [RaftSnapshot]] = [:]
    var readStates: [MemberID: [ReadState]] = [:]
    var manualPersist: Set<MemberID> = []
    var heldPersists: [MemberID: [PersistRequest]] = [:]
    var seed: UInt64 = 1
    /// Each replica's snapshot files, for the replicas given some (see
    /// `MemorySnapshotFiles`); the others keep snapshots in memory.
    var snapshotFiles: [MemberID: MemorySnapshotFiles] = [:]
    /// Whether replicas added from here on get snapshot files.
    var usesSnapshotFiles = false

    init(
        voters: [MemberID], learners: [MemberID] = [], extra: [MemberID] = [], snapshotFiles: Bool = false,
        configure: (inout RaftConfiguration) -> Void = { _ in }
    ) {
        usesSnapshotFiles = snapshotFiles
        let membership = ConfigurationState(voters: Set(voters), learners: Set(learners))
        for id in voters + learners {
            add(id, durable: .bootstrap(membership), configure: configure)
        }
        for id in extra {
            add(id, durable: .joining, configure: configure)
        }
    }

    /// Adds a replica that starts from `durable`.
    mutating func add(_ id: MemberID, durable: RaftDurableState, configure: (inout RaftConfiguration) -> Void = { _ in }) {
        var configuration = RaftConfiguration(id: id)
        configure(&configuration)
        configurations[id] = configuration
        storages[id] = MemoryRaftStorage(durable)
        if usesSnapshotFiles {
            snapshotFiles[id] = MemorySnapshotFiles(durable.snapshot)
        }
        seed &+= 7919
        nodes[id] = RaftNode(
            configuration: configuration, restoring: durable, random: SplitMix64(seed: seed &* id), snapshotFiles: snapshotFiles[id])
        applied[id] = []
    }

    /// A durable state with a log of the given terms (index 1 first).
    static func durable(voters: [MemberID], terms: [UInt64], term: UInt64, commit: UInt64 = 0) -> RaftDurableState {
        var state = RaftDurableState.joining
        state.snapshot.metadata.configuration = ConfigurationState(voters: Set(voters))
        state.entries = terms.enumerated().map { LogEntry(index: UInt64($0.offset + 1), term: $0.element, data: [UInt8($0.offset)]) }
        state.hardState = HardState(term: term, vote: nil, commit: commit)
        return state
    }

    mutating func handle(_ id: MemberID, _ output: RaftOutput) {
        inFlight.append(contentsOf: output.messages)
        if let snapshot = output.snapshotToInstall {
            installedSnapshots[id, default: []].append(snapshot)
            applied[id] = []
        }
        applied[id, default: []].append(contentsOf: output.committedEntries)
        readStates[id, default: []].append(contentsOf: output.readStates)
        if let persist = output.persist {
            if manualPersist.contains(id) {
                heldPersists[id, default: []].append(persist)
            } else {
                complete(id, persist)
            }
        }
    }

    private mutating func complete(_ id: MemberID, _ persist: PersistRequest) {
        try! storages[id]!.persist(persist)
        snapshotFiles[id]?.durable = storages[id]!.state.snapshot
        guard nodes[id] != nil else { return }
        let output = nodes[id]!.onPersisted(upTo: persist.sequence)
        handle(id, output)
    }

    /// Completes the persist requests held for `id`.
    mutating func releasePersists(_ id: MemberID) {
        let held = heldPersists[id] ?? []
        heldPersists[id] = []
        for persist in held { complete(id, persist) }
    }

    mutating func tick(_ id: MemberID) {
        guard nodes[id] != nil else { return }
        let output = nodes[id]!.tick()
        handle(id, output)
    }

    mutating func tickAll() {
        for id in nodes.keys.sorted() { tick(id) }
    }

    /// Delivers messages until none is left (or `limit` were delivered).
    mutating func deliver(limit: Int = 100_000) {
        var count = 0
        while !inFlight.isEmpty && count < limit {
            let message = inFlight.removeFirst()
            count += 1
            guard !cutLinks.contains([message.from, message.to]), nodes[message.to] != nil else { continue }
            delivered.append(message)
            let output = nodes[message.to]!.step(message)
            handle(message.to, output)
        }
    }

    /// Delivers until quiet, removing entries at or after `index` from every
    /// append (an adversarial network that keeps those entries back).
    mutating func deliver(stripping index: UInt64) {
        while !inFlight.isEmpty {
            var message = inFlight.removeFirst()
            guard !cutLinks.contains([message.from, message.to]), nodes[message.to] != nil else { continue }
            if case .appendEntries(var append) = message.body {
                append.entries.removeAll { $0.index >= index }
                message.body = .appendEntries(append)
            }
            delivered.append(message)
            let output = nodes[message.to]!.step(message)
            handle(message.to, output)
        }
    }

    /// Makes `id` campaign and delivers until quiet.
    mutating func campaign(_ id: MemberID) {
        let output = nodes[id]!.campaign()
        handle(id, output)
        deliver()
    }

    mutating func propose(_ id: MemberID, _ data: [UInt8]) throws(RaftRequestError) {
        let output = try nodes[id]!.propose(data)
        handle(id, output)
    }

    mutating func isolate(_ id: MemberID) {
        for other in nodes.keys where other != id {
            cutLinks.insert([id, other])
            cutLinks.insert([other, id])
        }
    }

    mutating func heal() {
        cutLinks = []
    }

    mutating func crash(_ id: MemberID) {
        nodes[id] = nil
        heldPersists[id] = []
    }

    mutating func restart(_ id: MemberID) {
        let durable = try! storages[id]!.load()
        seed &+= 104_729
        // Recovery removes an incoming snapshot file, as every temporary one.
        snapshotFiles[id]?.incoming = []
        nodes[id] = RaftNode(
            configuration: configurations[id]!, restoring: durable, random: SplitMix64(seed: seed), snapshotFiles: snapshotFiles[id])
        applied[id] = []
    }

    /// Ticks every replica, delivering after each round, for `rounds` rounds.
    mutating func run(rounds: Int) {
        for _ in 0..<rounds {
            tickAll()
            deliver()
        }
    }

    var leaders: [MemberID] {
        nodes.values.filter { $0.role == .leader }.map(\.id).sorted()
    }

    /// The terms of the log of `id`, from the first index after its snapshot.
    func logTerms(_ id: MemberID) -> [UInt64] {
        let node = nodes[id]!
        guard node.lastIndex > node.snapshotIndex else { return [] }
        return ((node.snapshotIndex + 1)...node.lastIndex).map { node.entry(at: $0)!.term }
    }

    func appliedData(_ id: MemberID) -> [[UInt8]] {
        applied[id]!.filter { $0.kind == .normal && !$0.data.isEmpty }.map(\.data)
    }
}
