import ConcordDynamo
import ConcordStorage
import Foundation
import Testing

@testable import ConcordServer

/// The available store's write-ahead log: records replayed (over a
/// snapshot or not) give back the node's stored state; a torn tail loses
/// only the record it cut; the record forms round-trip.
@Suite struct RedisStoreLogTests {
    /// Four `DynamoNode`s (N = 3, so a fallback can hold hints) driven by hand through one FIFO queue, each
    /// appending its records to its own ``StoreLog`` as the server does.
    private struct LoggedCluster {
        var nodes: [MemberID: DynamoNode] = [:]
        var logs: [MemberID: StoreLog] = [:]
        var records: [MemberID: [StorageRecord]] = [:]
        var down: Set<MemberID> = []
        var queue: [(from: MemberID, envelope: Envelope)] = []
        var now: Int64 = 1_000_000_000
        var nextRequest: UInt64 = 1
        let ring: Ring

        init(directories: [MemberID: String], appendFsync: AppendFsync) throws {
            var settings = DynamoSettings()
            settings.virtualNodesPerMember = 4
            ring = try Ring(members: directories.keys.sorted(), virtualNodesPerMember: 4)
            for (member, directory) in directories {
                let opened = try StoreLog.open(dataDirectory: directory, appendFsync: appendFsync)
                logs[member] = opened.log
                var node = DynamoNode(member: member, ring: ring, settings: settings, stored: nil, seed: member.rawValue)
                let output = node.start(now: now)
                nodes[member] = node
                perform(output, from: member)
            }
            deliverAll()
        }

        mutating func perform(_ output: DynamoOutput, from member: MemberID) {
            records[member, default: []] += output.records.filter {
                if case .actorEpoch = $0 { return false }
                return true
            }
            _ = logs[member]!.append(output.records) { result in
                if case .failure(let error) = result { Issue.record("append failed: \(error)") }
            }
            for envelope in output.messages { queue.append((member, envelope)) }
        }

        mutating func deliverAll() {
            while !queue.isEmpty {
                let (from, envelope) = queue.removeFirst()
                guard !down.contains(envelope.to), !down.contains(from), var node = nodes[envelope.to] else { continue }
                let output = node.onMessage(envelope.message, from: from, now: now)
                nodes[envelope.to] = node
                perform(output, from: envelope.to)
            }
        }

        mutating func request(_ key: ByteString, _ operation: ClientOperation, at member: MemberID) {
            var node = nodes[member]!
            let output = node.onClientRequest(
                ClientRequest(id: nextRequest, key: key, operation: operation, consistency: .quorum, session: nil), now: now)
            nextRequest += 1
            nodes[member] = node
            perform(output, from: member)
            deliverAll()
        }

        mutating func tick(_ count: Int) {
            for _ in 0..<count {
                now += 10_000_000
                for member in nodes.keys.sorted() where !down.contains(member) {
                    var node = nodes[member]!
                    let output = node.onTick(now: now)
                    nodes[member] = node
                    perform(output, from: member)
                }
                deliverAll()
            }
        }

        /// Strings, counters, sets, hashes and deletions from every member,
        /// with member 3 down for a while (hints, then their handoff).
        mutating func runWorkload() {
            for round in 0..<40 {
                let members = nodes.keys.sorted().filter { !down.contains($0) }
                let member = members[round % members.count]
                request(ByteString("s\(round % 17)"), .put(ByteString("v\(round)"), context: .current), at: member)
                request(ByteString("c\(round % 5)"), .update(.increment(Int64(round))), at: member)
                request("set", .update(.addToSet([ByteString("m\(round)")])), at: member)
                if round % 4 == 3 { request("set", .update(.removeFromSet([ByteString("m\(round - 1)")])), at: member) }
                request("hash", .update(.setFields([MapField(field: ByteString("f\(round % 3)"), values: [ByteString("\(round)")])])), at: member)
                if round % 6 == 5 { request(ByteString("s\(round % 17)"), .delete(context: .current), at: member) }
                if round == 10 { down.insert(3) }
                if round > 10 && round < 25 { tick(40) }
                if round == 25 { down.remove(3) }
            }
            tick(200)
        }

        func closeAll() {
            for log in logs.values { log.close() }
        }
    }

    private func temporaryDirectories(_ count: Int) throws -> [MemberID: String] {
        var directories: [MemberID: String] = [:]
        for member in 1...count {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-store-log-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            directories[MemberID(UInt64(member))] = path
        }
        return directories
    }

    private func remove(_ directories: [MemberID: String]) {
        for path in directories.values { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The state a restart would see: the replay, with the node's epoch
    /// (which the epoch file, not the log, keeps).
    private func replayed(_ directory: String, epoch: UInt64) throws -> (state: StoredState, opened: StoreLog.Opened) {
        let opened = try StoreLog.open(dataDirectory: directory, appendFsync: .always)
        var state = opened.state
        state.actorEpoch = epoch
        return (state, opened)
    }

    @Test(arguments: [AppendFsync.always, .everysec, .no])
    func replayingTheLogGivesEachNodesStoredState(appendFsync: AppendFsync) throws {
        let directories = try temporaryDirectories(4)
        defer { remove(directories) }
        var cluster = try LoggedCluster(directories: directories, appendFsync: appendFsync)
        cluster.runWorkload()
        #expect(cluster.records.values.contains { $0.contains { if case .hint = $0 { true } else { false } } }, "no hint recorded")
        #expect(cluster.records.values.contains { $0.contains { if case .hintRemoved = $0 { true } else { false } } })
        cluster.closeAll()
        for (member, directory) in directories {
            let node = cluster.nodes[member]!
            let (state, opened) = try replayed(directory, epoch: node.storedState.actorEpoch)
            defer { opened.log.close() }
            #expect(!node.storedState.objects.isEmpty)
            #expect(state == node.storedState, "member \(member)")
            #expect(opened.replayedRecords == UInt64(cluster.records[member]!.count))
        }
    }

    @Test func aSnapshotInTheMiddleAndTheRecordsAfterItGiveTheStoredState() throws {
        let directories = try temporaryDirectories(4)
        defer { remove(directories) }
        var cluster = try LoggedCluster(directories: directories, appendFsync: .always)
        cluster.runWorkload()
        // Snapshot every member at this point, then write on.
        let snapshotted = DispatchGroup()
        for (member, log) in cluster.logs {
            snapshotted.enter()
            log.snapshot(cluster.nodes[member]!.storedState) { error in
                if let error { Issue.record("snapshot failed: \(error)") }
                snapshotted.leave()
            }
        }
        snapshotted.wait()
        let before = cluster.records.mapValues(\.count)
        cluster.runWorkload()
        cluster.closeAll()
        for (member, directory) in directories {
            let node = cluster.nodes[member]!
            let (state, opened) = try replayed(directory, epoch: node.storedState.actorEpoch)
            defer { opened.log.close() }
            #expect(opened.log.store.recovery.snapshot != nil)
            #expect(opened.replayedRecords == UInt64(cluster.records[member]!.count - before[member]!))
            #expect(state == node.storedState, "member \(member)")
        }
    }

    @Test func aTornLastRecordIsTrimmedAndOnlyItIsLost() throws {
        let directories = try temporaryDirectories(4)
        defer { remove(directories) }
        var cluster = try LoggedCluster(directories: directories, appendFsync: .always)
        cluster.runWorkload()
        // A last record that changes the state: the removal of a key.
        let member: MemberID = 1
        let victim = try #require(cluster.nodes[member]!.storedState.objects.keys.first)
        let last = StorageRecord.objectRemoved(victim)
        cluster.records[member]!.append(last)
        _ = cluster.logs[member]!.append([last]) { _ in }
        cluster.closeAll()

        // Damage the last record's payload (its checksum then fails and
        // nothing valid follows it: a torn write).
        let directory = directories[member]! + "/" + StoreLog.directoryName
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }
        #expect(segments.count == 1)
        let records = cluster.records[member]!
        let frames = records.dropLast().reduce(32) { $0 + 32 + (StoreRecordCoding.encode($1).count + 7) / 8 * 8 }
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/" + segments[0]))
        try handle.seek(toOffset: UInt64(frames + 32))
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(frames + 32))
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()

        let opened = try StoreLog.open(dataDirectory: directories[member]!, appendFsync: .always)
        defer { opened.log.close() }
        let torn = try #require(opened.tornTail)
        #expect(torn.offset == UInt64(frames))
        var expected = StoredState()
        expected.apply(Array(records.dropLast()))
        #expect(opened.state == expected)
        #expect(opened.state.objects[victim] != nil, "the torn removal must not be replayed")
        #expect(opened.replayedRecords == UInt64(records.count - 1))
    }

    @Test func everyRecordKindRoundTrips() throws {
        let directories = try temporaryDirectories(4)
        defer { remove(directories) }
        var cluster = try LoggedCluster(directories: directories, appendFsync: .no)
        cluster.runWorkload()
        cluster.closeAll()
        let state = cluster.nodes[1]!.storedState
        let (key, object) = try #require(state.objects.first)
        let records: [StorageRecord] = [
            .object(KeyedObject(key: key, object: object)), .objectRemoved(key),
            .hint(for: 3, KeyedObject(key: key, object: object)), .hintRemoved(for: 3, key: key),
            .pendingWrites(key: key, [PendingWrite(object: object, dependencies: [])]), .pendingWrites(key: key, []),
            .actorEpoch(7),
        ]
        for record in records {
            #expect(try StoreRecordCoding.decode(StoreRecordCoding.encode(record)) == record)
        }
        var withPending = state
        withPending.pending[key] = [PendingWrite(object: object, dependencies: [])]
        withPending.hints[3] = [key: object]
        #expect(try StoreRecordCoding.decodeState(StoreRecordCoding.encodeState(withPending)) == withPending)
        #expect(throws: (any Error).self) { try StoreRecordCoding.decode([9]) }
        #expect(throws: (any Error).self) { try StoreRecordCoding.decode(StoreRecordCoding.encode(records[0]) + [0]) }
    }

    @Test func appendFsyncTakesRedissThreeValuesAndRefusesOthers() throws {
        #expect(AppendFsync.default == .everysec)
        for value in AppendFsync.allCases { #expect(try AppendFsync.parse(value.rawValue) == value) }
        #expect(throws: ServerConfigurationError.invalid("--redis-appendfsync must be always, everysec or no (got 'sometimes')")) {
            try AppendFsync.parse("sometimes")
        }
    }
}
