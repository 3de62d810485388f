import ConcordFoundation
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// The member registry, member commands in log payloads and the server
/// snapshot envelope: round trips, refusal of bad bytes, and the rules that
/// decide what a membership request may change.
@Suite struct MembershipRegistryTests {
    static let n1 = MemberRecord(id: 11, name: "n1", peerURLs: ["http://127.0.0.1:2380"], clientURLs: ["http://127.0.0.1:2379"])
    static let n2 = MemberRecord(id: 22, name: "", peerURLs: ["http://127.0.0.1:2480"], clientURLs: [], isLearner: true)
    static let registry = MemberRegistry(clusterID: 0xC0FFEE, members: [11: n1, 22: n2], removed: [33, 44])

    static let commands: [MemberCommand] = [
        .add(n2), .remove(id: 22), .promote(id: 22),
        .update(id: 11, peerURLs: ["http://a:1", "http://b:2"]),
        .publish(id: 11, name: "n1", clientURLs: ["http://127.0.0.1:2379"]),
        .publish(id: 11, name: "ünïcode", clientURLs: []),
    ]

    /// Every strict prefix and a one-byte extension of `bytes` is refused.
    static func expectTruncationsAndExtensionRefused(_ bytes: [UInt8], _ decode: ([UInt8]) throws -> Void) {
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self, "prefix of \(length) bytes") { try decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: (any Error).self) { try decode(bytes + [0]) }
    }

    @Test func theRegistryRoundTripsAndRefusesDamagedBytes() throws {
        let bytes = Self.registry.encoded
        #expect(try MemberRegistry(decoding: bytes) == Self.registry)
        #expect(try MemberRegistry(decoding: MemberRegistry(clusterID: 1).encoded) == MemberRegistry(clusterID: 1))
        Self.expectTruncationsAndExtensionRefused(bytes) { _ = try MemberRegistry(decoding: $0) }
        var badVersion = bytes
        badVersion[0] = 2
        #expect(throws: WireError.self) { try MemberRegistry(decoding: badVersion) }
    }

    @Test func theRegistryRefusesALearnerFlagThatIsNotABooleanAndInvalidUTF8() throws {
        var bytes = Self.registry.encoded
        // The first member's learner flag is its last byte.
        let flagOffset = Self.firstMemberEnd(bytes) - 1
        #expect(bytes[flagOffset] == 0)
        bytes[flagOffset] = 2
        #expect(throws: WireError.self) { try MemberRegistry(decoding: bytes) }

        var member = Self.n1
        member.name = "n1"
        var writer = BinaryWriter()
        member.write(to: &writer)
        var encoded = writer.bytes
        // The name's bytes follow the id (8) and its length (4).
        encoded[12] = 0xFF
        var reader = BinaryReader(encoded)
        #expect(throws: WireError.self) { try MemberRecord(reading: &reader) }
    }

    /// The offset just past the first member in an encoded registry.
    static func firstMemberEnd(_ bytes: [UInt8]) -> Int {
        var writer = BinaryWriter()
        n1.write(to: &writer)
        return 1 + 8 + 8 + writer.bytes.count
    }

    @Test func everyMemberCommandRoundTripsInALogPayloadAndDamagedOnesAreRefused() throws {
        for command in Self.commands {
            let payload = LogPayload.member(ProposalID(proposer: 7, request: 99), command)
            let bytes = payload.encoded()
            #expect(try LogPayload(decoding: bytes) == payload)
            Self.expectTruncationsAndExtensionRefused(bytes) { _ = try LogPayload(decoding: $0) }
        }
        var unknownTag = LogPayload.member(ProposalID(proposer: 7, request: 99), .remove(id: 5)).encoded()
        unknownTag[LogPayload.headerBytes] = 9
        #expect(throws: WireError.invalid("unknown member command tag 9")) { try LogPayload(decoding: unknownTag) }
        #expect(throws: WireError.invalid("member id 0")) {
            try LogPayload(decoding: LogPayload.member(ProposalID(proposer: 7, request: 1), .remove(id: 0)).encoded())
        }
    }

    @Test func aServerSnapshotCarriesTheRegistryAndReadsOlderBareStateMachines() throws {
        let stateMachine: [UInt8] = [1, 2, 3, 4]
        let snapshot = ServerSnapshot(registry: Self.registry, stateMachine: stateMachine)
        #expect(try ServerSnapshot(decoding: snapshot.encoded) == snapshot)
        let empty = ServerSnapshot(registry: Self.registry, stateMachine: [])
        #expect(try ServerSnapshot(decoding: empty.encoded) == empty)
        // Data written before the registry existed: the bare state machine, or nothing.
        #expect(try ServerSnapshot(decoding: stateMachine) == ServerSnapshot(registry: nil, stateMachine: stateMachine))
        #expect(try ServerSnapshot(decoding: []) == ServerSnapshot(registry: nil, stateMachine: []))
        // A damaged registry inside the envelope is refused, never read as a state machine.
        // A snapshot carries the duplicate filter of applied proposals.
        var applied = AppliedProposals(capacity: 8)
        let first = applied.insert(ProposalID(proposer: 1, request: 2))
        let second = applied.insert(ProposalID(proposer: 3, request: 4))
        let again = applied.insert(ProposalID(proposer: 1, request: 2))
        #expect(first && second && !again)
        let filtered = ServerSnapshot(registry: Self.registry, appliedProposals: applied, stateMachine: stateMachine)
        let decoded = try ServerSnapshot(decoding: filtered.encoded, appliedProposalsRemembered: 8)
        #expect(decoded == filtered)
        #expect(Array(decoded.appliedProposals.order) == [ProposalID(proposer: 1, request: 2), ProposalID(proposer: 3, request: 4)])
        // Version 1 (without the filter) is still read, with an empty one.
        var versionOne = ServerSnapshot.magic + [1]
        var registryBytes = BinaryWriter()
        registryBytes.writeFixedLengthBytes(Self.registry.encoded)
        versionOne += registryBytes.bytes + stateMachine
        #expect(try ServerSnapshot(decoding: versionOne) == snapshot)
        let bytes = empty.encoded
        for length in ServerSnapshot.magic.count..<bytes.count {
            #expect(throws: WireError.self) { try ServerSnapshot(decoding: Array(bytes.prefix(length))) }
        }
    }

    @Test func requestsAreJudgedAgainstTheRegistryAndRaftsLearners() {
        let registry = Self.registry
        let fresh = MemberRecord(id: 55, name: "", peerURLs: ["http://127.0.0.1:2580"], clientURLs: [])
        #expect(registry.refusal(of: .add(fresh), learners: [22]) == nil)
        var learner = fresh
        learner.isLearner = true
        #expect(registry.refusal(of: .add(learner), learners: [22]) == .tooManyLearners)
        #expect(registry.refusal(of: .add(learner), learners: []) == nil)
        var sameURL = fresh
        sameURL.peerURLs = Self.n1.peerURLs
        #expect(registry.refusal(of: .add(sameURL), learners: []) == .peerURLExists)
        var takenID = fresh
        takenID.id = 11
        #expect(registry.refusal(of: .add(takenID), learners: []) == .memberExists)
        var removedID = fresh
        removedID.id = 33
        #expect(registry.refusal(of: .add(removedID), learners: []) == .idRemoved)
        #expect(registry.refusal(of: .remove(id: 99), learners: []) == .memberNotFound)
        #expect(registry.refusal(of: .remove(id: 22), learners: []) == nil)
        #expect(registry.refusal(of: .promote(id: 11), learners: [22]) == .memberNotLearner)
        #expect(registry.refusal(of: .promote(id: 22), learners: [22]) == nil)
        #expect(registry.refusal(of: .update(id: 22, peerURLs: Self.n1.peerURLs), learners: []) == .peerURLExists)
        #expect(registry.refusal(of: .update(id: 11, peerURLs: Self.n1.peerURLs), learners: []) == nil)
        #expect(registry.refusal(of: .publish(id: 99, name: "x", clientURLs: []), learners: []) == .memberNotFound)
    }

    @Test func applyingChangesTheRegistryAndRefusedNormalEntriesChangeNothing() throws {
        let registry = Self.registry
        let removed = try registry.applying(.remove(id: 22)).get()
        #expect(removed.members.keys.sorted() == [11])
        #expect(removed.removed == [22, 33, 44])
        let published = try registry.applying(.publish(id: 22, name: "n2", clientURLs: ["http://127.0.0.1:2479"])).get()
        #expect(published.members[22]?.name == "n2")
        #expect(published.members[22]?.clientURLs == ["http://127.0.0.1:2479"])
        let updated = try registry.applying(.update(id: 22, peerURLs: ["http://127.0.0.1:2481"])).get()
        #expect(updated.members[22]?.peerURLs == ["http://127.0.0.1:2481"])
        let promoted = try registry.applying(.promote(id: 22)).get()
        #expect(promoted.members[22]?.isLearner == false)
        #expect(throws: MembershipError.memberNotFound) { try registry.applying(.update(id: 99, peerURLs: ["http://x:1"])).get() }
        #expect(throws: MembershipError.peerURLExists) { try registry.applying(.update(id: 22, peerURLs: Self.n1.peerURLs)).get() }
        #expect(throws: MembershipError.memberNotFound) { try registry.applying(.publish(id: 99, name: "x", clientURLs: [])).get() }
    }
}
