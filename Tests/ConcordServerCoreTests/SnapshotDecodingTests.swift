import ConcordFoundation
import ConcordKV
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// Decoding a Raft snapshot's data in place: the key-value state machine is
/// read where it lies in the data, and gives what decoding a copy gave.
@Suite struct SnapshotDecodingTests {
    static func machine() throws -> KVStateMachine {
        var machine = KVStateMachine()
        _ = try machine.apply(.lease(.grant(id: 5, ttlSeconds: 30)))
        for key in 0..<40 {
            _ = try machine.apply(.kv(.put(PutRequest(key: Array("key-\(key)".utf8), value: Array(repeating: UInt8(key), count: key)))))
        }
        _ = try machine.apply(.kv(.put(PutRequest(key: Array("leased".utf8), value: [1], lease: 5))))
        _ = try machine.apply(.kv(.deleteRange(DeleteRangeRequest(key: Array("key-1".utf8)))))
        return machine
    }

    static let configuration = ServerCoreConfiguration(
        memberID: 1, name: "n1", clusterID: 77, joinedRunningCluster: false,
        initialMembers: [InitialMember(name: "n1", peerURL: "test://n1", foundingID: 1, joiningID: 1)], clientURLs: [])

    @Test func aStateMachineIsDecodedWhereItLiesInALargerBuffer() throws {
        let machine = try Self.machine()
        var reader = BinaryReader([9, 9, 9] + machine.snapshot())
        _ = try reader.readRaw(count: 3)
        let decoded = try KVStateMachine(reading: &reader)
        #expect(decoded == machine)
        #expect(decoded.snapshot() == machine.snapshot())
        #expect(reader.isAtEnd)
    }

    @Test func aStoreLengthThatDisagreesWithTheStoreIsRefused() throws {
        let machine = try Self.machine()
        let store = machine.store.snapshot()
        let leases = Array(machine.snapshot().suffix(from: 1 + varintBytes(store.count) + store.count))
        for length in [store.count - 1, store.count + 1] {
            var writer = BinaryWriter(capacity: 16)
            writer.writeByte(KVStateMachine.snapshotFormatVersion)
            writer.writeVarint(UInt64(length))
            var forged = writer.bytes + store + leases
            if length > store.count { forged.append(0) }
            #expect(throws: KVDecodingError.self) { try KVStateMachine(snapshot: forged) }
        }
        var writer = BinaryWriter(capacity: 16)
        writer.writeByte(KVStateMachine.snapshotFormatVersion)
        writer.writeVarint(UInt64(store.count))
        #expect(try KVStateMachine(snapshot: writer.bytes + store + leases) == machine, "the unforged bytes decode")
    }

    @Test func restoringDecodesWhatTheEnvelopeAndACopyOfTheStateMachineDecode() throws {
        let machine = try Self.machine()
        let registry = ServerCore.foundingRegistry(Self.configuration, replicas: nil)
        var applied = AppliedProposals(capacity: 8)
        _ = applied.insert(ProposalID(proposer: 1, request: 2))
        let envelope = ServerSnapshot(registry: registry, appliedProposals: applied, stateMachine: machine.snapshot())
        let metadata = SnapshotMetadata(index: 9, term: 2, configuration: ConfigurationState(voters: [1]))
        let restored = try ServerCore.restore(RaftSnapshot(metadata: metadata, data: envelope.encoded), Self.configuration)
        let decoded = try ServerSnapshot(decoding: envelope.encoded)
        let limits = KVLimits(requestBytesMax: Self.configuration.requestBytesMax)
        let ttlSecondsMin = Self.configuration.leaseTTLSecondsMin
        #expect(restored.state == (try KVStateMachine(snapshot: decoded.stateMachine, limits: limits, ttlSecondsMin: ttlSecondsMin)))
        #expect(restored.state.snapshot() == machine.snapshot())
        #expect(restored.registry == registry)
        #expect(restored.appliedProposals == decoded.appliedProposals)
        #expect(restored.auth == decoded.auth)

        // Older data: the bare state machine, or nothing.
        let bare = try ServerCore.restore(RaftSnapshot(metadata: metadata, data: machine.snapshot()), Self.configuration)
        #expect(bare.state == (try KVStateMachine(snapshot: machine.snapshot(), limits: limits, ttlSecondsMin: ttlSecondsMin)))
        #expect(bare.registry == registry, "rebuilt from the founding members")
        let empty = try ServerCore.restore(RaftSnapshot(metadata: metadata, data: []), Self.configuration)
        #expect(empty.state.store.currentRevision == KVStateMachine().store.currentRevision)
        #expect(empty.state.store.snapshot() == KVStateMachine().store.snapshot())

        // A damaged state machine inside the envelope is refused.
        var damaged = envelope.encoded
        damaged.removeLast()
        #expect(throws: (any Error).self) { try ServerCore.restore(RaftSnapshot(metadata: metadata, data: damaged), Self.configuration) }
    }

    private func varintBytes(_ value: Int) -> Int {
        var writer = BinaryWriter(capacity: 10)
        writer.writeVarint(UInt64(value))
        return writer.bytes.count
    }
}
