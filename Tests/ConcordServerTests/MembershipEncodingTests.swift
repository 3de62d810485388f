import ConcordRaft
import Foundation
import Testing

@testable import ConcordServer

/// The member registry, member proposals, the server snapshot envelope and
/// the joined member's identity file: round trips, refusal of bad bytes,
/// and the rules that decide what a membership request may change.
@Suite struct MembershipEncodingTests {
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
        var writer = WireWriter()
        member.write(to: &writer)
        var encoded = writer.bytes
        // The name's bytes follow the id (8) and its length (4).
        encoded[12] = 0xFF
        var reader = WireReader(encoded)
        #expect(throws: WireError.self) { try MemberRecord(reading: &reader) }
    }

    /// The offset just past the first member in an encoded registry.
    static func firstMemberEnd(_ bytes: [UInt8]) -> Int {
        var writer = WireWriter()
        n1.write(to: &writer)
        return 1 + 8 + 8 + writer.bytes.count
    }

    @Test func everyMemberProposalRoundTripsAndDamagedOnesAreRefused() throws {
        for command in Self.commands {
            let proposal = MemberProposal(proposer: 7, requestID: 99, command: command)
            let bytes = proposal.encoded
            #expect(MemberProposal.isMemberProposal(bytes))
            #expect(try MemberProposal(decoding: bytes) == proposal)
            Self.expectTruncationsAndExtensionRefused(bytes) { _ = try MemberProposal(decoding: $0) }
        }
        var unknownTag = MemberProposal(proposer: 7, requestID: 99, command: .remove(id: 5)).encoded
        unknownTag[18] = 9
        #expect(throws: WireError.self) { try MemberProposal(decoding: unknownTag) }
        #expect(throws: WireError.self) { try MemberProposal(decoding: MemberProposal(proposer: 7, requestID: 1, command: .remove(id: 0)).encoded) }
        // A key-value proposal never looks like a member proposal.
        #expect(!MemberProposal.isMemberProposal(ProposalEnvelope(proposer: 1, requestID: 2, command: [0x4D]).encoded))
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
        let bytes = empty.encoded
        for length in ServerSnapshot.magic.count..<bytes.count {
            #expect(throws: WireError.self) { try ServerSnapshot(decoding: Array(bytes.prefix(length))) }
        }
    }

    @Test func theMemberIdentityRoundTripsAndACorruptFileIsRefused() throws {
        let identity = MemberIdentity(memberID: 0xA5C1_4AB3_C8D6_6327, clusterID: 0xBE01_5C12)
        let bytes = identity.encoded
        #expect(bytes.count == MemberIdentity.encodedBytes)
        #expect(try MemberIdentity(decoding: bytes) == identity)
        for position in bytes.indices {
            var flipped = bytes
            flipped[position] ^= 0x01
            #expect(throws: WireError.self, "bit flipped at \(position)") { try MemberIdentity(decoding: flipped) }
        }
        Self.expectTruncationsAndExtensionRefused(bytes) { _ = try MemberIdentity(decoding: $0) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-identity-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try MemberIdentity.load(from: directory) == nil)
        try identity.save(in: directory)
        #expect(try MemberIdentity.load(from: directory) == identity)
        _ = FileManager.default.createFile(atPath: directory + "/" + MemberIdentity.fileName, contents: Data([1, 2, 3]))
        #expect(throws: ServerConfigurationError.self) { try MemberIdentity.load(from: directory) }
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

    @Test func aNewMembersIdDependsOnlyOnItsPeerURLs() throws {
        let a = ClusterMember.id(forPeerURLs: ["http://127.0.0.1:1", "http://127.0.0.1:2"])
        #expect(a == ClusterMember.id(forPeerURLs: ["http://127.0.0.1:2", "http://127.0.0.1:1"]))
        #expect(a != ClusterMember.id(forPeerURLs: ["http://127.0.0.1:1"]))
        #expect(a != 0)
        let member = try #require(try ClusterMember.parseCluster("n4=http://127.0.0.1:2380/").first)
        #expect(ClusterMember.id(forPeerURLs: [member.peerURL]) == ClusterMember.id(forPeerURLs: ["http://127.0.0.1:2380"]))
    }

    @Test func peerURLsAreNormalizedAndBadOnesRefused() throws {
        #expect(try ClusterService.peerURLs(["http://b:2/", "127.0.0.1:1"], usesTLS: false) == ["http://127.0.0.1:1", "http://b:2"])
        #expect(try ClusterService.peerURLs(["https://b:2/", "https://a:1"], usesTLS: true) == ["https://a:1", "https://b:2"])
        for bad in [[], ["https://a:1"], ["http://a"], ["http://a:0"], ["http://a:1", "a:1"], ["http://a:99999"], ["ftp://a:1"]] {
            #expect(throws: MembershipError.badURLs, "\(bad)") { try ClusterService.peerURLs(bad, usesTLS: false) }
        }
        // With peer TLS, a plaintext URL is the mismatch.
        #expect(throws: MembershipError.badURLs) { try ClusterService.peerURLs(["https://a:1", "http://b:2"], usesTLS: true) }
    }

    @Test func aMemberJoiningFindsItsIdFromItsPeerURLAndKeepsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-join-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let members = try ClusterMember.parseCluster("n1=http://127.0.0.1:2380,n4=http://127.0.0.1:2680")
        var configuration = NodeConfiguration(
            name: "n4", dataDirectory: directory, peerListen: Endpoint(host: "127.0.0.1", port: 2680),
            clientListen: Endpoint(host: "127.0.0.1", port: 2679), members: members, clusterState: .existing)
        try ConcordNode.resolveIdentity(&configuration, hasData: false)
        let expected = ClusterMember.id(forPeerURLs: ["http://127.0.0.1:2680"])
        #expect(configuration.memberID == expected)
        #expect(try MemberIdentity.load(from: directory) == MemberIdentity(memberID: expected, clusterID: 0))
        // Restarted (even with "new"), it keeps the id it joined with.
        var again = NodeConfiguration(
            name: "n4", dataDirectory: directory, peerListen: Endpoint(host: "127.0.0.1", port: 2680),
            clientListen: Endpoint(host: "127.0.0.1", port: 2679), members: members, clusterState: .new)
        try ConcordNode.resolveIdentity(&again, hasData: true)
        #expect(again.memberID == expected)
        // A member whose removal was recorded refuses to start on its data.
        try MemberIdentity.markRemoved(directory: directory)
        #expect(MemberIdentity.isRemoved(directory: directory))
        var removed = again
        #expect(throws: ServerConfigurationError.self) { try ConcordNode.resolveIdentity(&removed, hasData: true) }
        // A founding member keeps its name-derived id.
        var founder = NodeConfiguration(
            name: "n1", dataDirectory: directory + "-founder", peerListen: Endpoint(host: "127.0.0.1", port: 2380),
            clientListen: Endpoint(host: "127.0.0.1", port: 2379), members: members, clusterState: .existing)
        try ConcordNode.resolveIdentity(&founder, hasData: true)
        #expect(founder.memberID == ClusterMember.id(forName: "n1"))
    }
}
