@testable import ConcordServer
import ConcordServerCore
import ConcordKV
import ConcordRaft
import ConcordStorage
import Foundation
import Logging
import NIOPosix
import Testing

/// Saved snapshots: checked and decoded by `SnapshotFile`, restored into a
/// data directory by `SnapshotRestore`, refused whole when anything is wrong.
@Suite struct SnapshotFileTests {
    /// A state with history (a key written twice), a plain key and a key on a lease.
    static func sampleState() throws -> KVStateMachine {
        var state = KVStateMachine()
        _ = try state.apply(.lease(.grant(id: 0x55, ttlSeconds: 600)))
        _ = try state.apply(.kv(.put(PutRequest(key: Array("a".utf8), value: Array("1".utf8)))))
        _ = try state.apply(.kv(.put(PutRequest(key: Array("b".utf8), value: Array("2".utf8)))))
        _ = try state.apply(.kv(.put(PutRequest(key: Array("a".utf8), value: Array("3".utf8)))))
        _ = try state.apply(.kv(.put(PutRequest(key: Array("leased".utf8), value: Array("x".utf8), lease: 0x55))))
        return state
    }

    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("concord-restore-\(UUID().uuidString)").path
    }

    private func members(_ names: [String]) -> [ClusterMember] {
        names.enumerated().map { ClusterMember(name: $1, peerHost: "127.0.0.1", peerPort: 23_000 + $0) }
    }

    @Test func aSavedSnapshotDecodesToTheSameStateWithItsRevisionKeysAndHash() throws {
        let state = try Self.sampleState()
        let contents = SnapshotFile.contents(ofState: state.snapshot())
        #expect((contents.count - 32) % 512 == 0)
        let file = try SnapshotFile(contents: contents)
        #expect(file.state == state)
        #expect(file.stateBytes == state.snapshot())
        // etcd's store starts at revision 1; four puts later it is at 5.
        #expect(file.revision == 5)
        #expect(file.revision == state.store.currentRevision)
        #expect(file.totalKeys == 3)
        #expect(file.hash == KVHash.hash(state.store, upTo: 5))
        #expect(file.hash != KVHash.hash(state.store, upTo: 4))
        #expect(file.fileBytes == contents.count)
    }

    @Test func theStateLengthIsFoundAtTheStartOfPaddedBytes() throws {
        for state in [KVStateMachine(), try Self.sampleState()] {
            let bytes = state.snapshot()
            #expect(try KVStateMachine.snapshotLength(atStartOf: bytes) == bytes.count)
            #expect(try KVStateMachine.snapshotLength(atStartOf: bytes + [0, 0, 0]) == bytes.count)
            #expect(throws: KVDecodingError.self) { try KVStateMachine.snapshotLength(atStartOf: Array(bytes.dropLast())) }
        }
    }

    @Test func everyTruncationIsRefused() throws {
        let contents = SnapshotFile.contents(ofState: try Self.sampleState().snapshot())
        for length in 0..<contents.count {
            #expect(throws: SnapshotFileError.self, "\(length) of \(contents.count) bytes") {
                try SnapshotFile(contents: Array(contents[..<length]))
            }
        }
    }

    @Test func anyChangedByteFailsTheHash() throws {
        let contents = SnapshotFile.contents(ofState: try Self.sampleState().snapshot())
        for offset in stride(from: 0, to: contents.count, by: 7) {
            var corrupted = contents
            corrupted[offset] ^= 0x20
            #expect(throws: SnapshotFileError.hashMismatch, "byte \(offset)") { try SnapshotFile(contents: corrupted) }
        }
    }

    @Test func dataInThePaddingIsRefusedEvenWithAMatchingHash() throws {
        let state = try Self.sampleState().snapshot()
        var body = Array(SnapshotFile.contents(ofState: state).dropLast(32))
        body[body.count - 1] = 1
        #expect(throws: SnapshotFileError.badPadding) { try SnapshotFile(contents: body + SnapshotFile.checksum(body)) }
    }

    @Test func aBodyThatIsNotAStateIsRefusedEvenWithAMatchingHash() {
        let body = [UInt8](repeating: 0xAB, count: 512)
        #expect(throws: SnapshotFileError.self) { try SnapshotFile(contents: body + SnapshotFile.checksum(body)) }
        let zeros = [UInt8](repeating: 0, count: 512)
        #expect(throws: SnapshotFileError.undecodable("unsupported format version 0")) {
            try SnapshotFile(contents: zeros + SnapshotFile.checksum(zeros))
        }
    }

    @Test func aRestoredDirectoryHoldsTheStateAtIndexOneWithTheNewMembership() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try SnapshotFile(contents: SnapshotFile.contents(ofState: try Self.sampleState().snapshot()))
        let cluster = members(["x1", "x2", "x3"])
        try SnapshotRestore.restore(
            file, name: "x2", members: cluster, advertisedPeerURLs: [Endpoint(host: "127.0.0.1", port: 23_001)],
            dataDirectory: directory)
        let store = try Storage.RaftLogStore.open(directory: directory, bootstrap: .joining)
        defer { store.close() }
        let durable = try store.load()
        #expect(durable.snapshot.metadata.index == 1)
        #expect(durable.snapshot.metadata.configuration.voters == Set(cluster.map(\.id)))
        #expect(durable.snapshot.data == file.stateBytes)
        #expect(durable.hardState.commit == 1)
        #expect(durable.entries.isEmpty)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (directory as NSString).deletingLastPathComponent)
        #expect(!siblings.contains { $0.hasPrefix((directory as NSString).lastPathComponent + ".restoring-") })
    }

    @Test func aRestoreWithABadFlagOrANonEmptyDirectoryWritesNothing() throws {
        let file = try SnapshotFile(contents: SnapshotFile.contents(ofState: try Self.sampleState().snapshot()))
        let cluster = members(["x1", "x2"])
        let fresh = temporaryDirectory()
        #expect(throws: SnapshotRestoreError.self) {
            try SnapshotRestore.restore(file, name: "x9", members: cluster, advertisedPeerURLs: nil, dataDirectory: fresh)
        }
        #expect(throws: SnapshotRestoreError.self) {
            try SnapshotRestore.restore(
                file, name: "x1", members: cluster, advertisedPeerURLs: [Endpoint(host: "127.0.0.1", port: 1)], dataDirectory: fresh)
        }
        #expect(!FileManager.default.fileExists(atPath: fresh))

        let used = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: used) }
        try FileManager.default.createDirectory(atPath: used, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: used).appendingPathComponent("note"))
        #expect(throws: SnapshotRestoreError.self) {
            try SnapshotRestore.restore(file, name: "x1", members: cluster, advertisedPeerURLs: nil, dataDirectory: used)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: used) == ["note"])

        // An existing empty directory is fine.
        let empty = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try SnapshotRestore.restore(file, name: "x1", members: cluster, advertisedPeerURLs: nil, dataDirectory: empty)
        #expect(try !FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }

    @Test func aNodeStartedOnARestoredDirectoryServesTheSavedKeysAndRevision() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try Self.sampleState()
        let file = try SnapshotFile(contents: SnapshotFile.contents(ofState: state.snapshot()))
        let cluster = [ClusterMember(name: "solo", peerHost: "127.0.0.1", peerPort: 0)]
        try SnapshotRestore.restore(file, name: "solo", members: cluster, advertisedPeerURLs: nil, dataDirectory: directory)
        var logger = Logger(label: "restore-test")
        logger.logLevel = .error
        let node = try ConcordNode(
            configuration: NodeConfiguration(
                name: "solo", dataDirectory: directory, peerListen: Endpoint(host: "127.0.0.1", port: 0),
                clientListen: Endpoint(host: "127.0.0.1", port: 0), members: cluster),
            logger: logger)
        try await node.start(group: MultiThreadedEventLoopGroup.singleton)
        do {
            #expect(await node.revision == 5)
            let (a, _) = try await node.range(RangeRequest(key: Array("a".utf8)))
            #expect(a.kvs.map(\.value) == [Array("3".utf8)])
            #expect(a.kvs.first?.version == 2)
            let (leased, _) = try await node.range(RangeRequest(key: Array("leased".utf8)))
            #expect(leased.kvs.first?.lease == 0x55)
            let (status, _, _) = try await node.leaseTimeToLive(id: 0x55, keys: true)
            #expect(status.grantedTTLSeconds == 600)
            #expect(status.keys == [Array("leased".utf8)])
            let (put, _) = try await node.write(.put(PutRequest(key: Array("c".utf8), value: [1])))
            guard case .put(let response) = put else { throw HarnessError(description: "unexpected result \(put)") }
            #expect(response.header.revision == 6)
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }
}
