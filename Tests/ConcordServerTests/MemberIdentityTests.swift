import ConcordRaft
import ConcordServerCore
import Foundation
import Testing

@testable import ConcordServer

/// The joined member's identity file, member ids and peer URLs.
@Suite struct MemberIdentityTests {
    /// Every strict prefix and a one-byte extension of `bytes` is refused.
    static func expectTruncationsAndExtensionRefused(_ bytes: [UInt8], _ decode: ([UInt8]) throws -> Void) {
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self, "prefix of \(length) bytes") { try decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: (any Error).self) { try decode(bytes + [0]) }
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
