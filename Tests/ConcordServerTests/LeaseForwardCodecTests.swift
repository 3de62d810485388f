@testable import ConcordServer
import ConcordKV
import ConcordRaft
import Testing

/// The peer frame that carries lease keep-alives and time-to-live queries
/// from a follower to the leader, and the answers back.
@Suite struct LeaseForwardCodecTests {
    static let cluster: UInt64 = 0xC0FFEE

    static let bodies: [LeaseForwardMessage.Body] = [
        .request(.keepAlive(leaseID: 0x1234_5678_9ABC)),
        .request(.keepAlive(leaseID: -1)),
        .request(.timeToLive(leaseID: 42, keys: true)),
        .request(.timeToLive(leaseID: Int64.max, keys: false)),
        .response(.renewed(ttlSeconds: 60)),
        .response(.timeToLive(LeaseTimeToLive(id: 42, ttlSeconds: 17, grantedTTLSeconds: 60, keys: [Array("a".utf8), [], [0, 255, 7]]))),
        .response(.timeToLive(LeaseTimeToLive(id: 9, ttlSeconds: 0, grantedTTLSeconds: 5, keys: []))),
    ] + LeaseError.allCases.map { .response(.refused($0)) }

    static func frame(_ body: LeaseForwardMessage.Body, requestID: UInt64 = 77) -> [UInt8] {
        LeaseForwardCodec.encode(LeaseForwardMessage(from: 1, to: 2, requestID: requestID, body: body), clusterID: cluster)
    }

    /// The offset of the tag byte: marker, version, cluster, from, to, request id.
    static let tagOffset = 2 + 4 * 8

    @Test(arguments: bodies)
    func everyRequestAndAnswerRoundTrips(body: LeaseForwardMessage.Body) throws {
        let message = LeaseForwardMessage(from: 3, to: 5, requestID: 0xFEED_0000_0001, body: body)
        let bytes = LeaseForwardCodec.encode(message, clusterID: Self.cluster)
        #expect(LeaseForwardCodec.isLeaseForwardFrame(bytes))
        #expect(try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster) == message)
    }

    @Test func everyLeaseErrorHasItsOwnCode() {
        let codes = LeaseError.allCases.map(LeaseForwardCodec.code(of:))
        #expect(Set(codes).count == LeaseError.allCases.count)
        for error in LeaseError.allCases { #expect(LeaseForwardCodec.error(code: LeaseForwardCodec.code(of: error)) == error) }
    }

    @Test func raftFramesAndLeaseFramesAreToldApartAndNeitherDecoderTakesTheOther() {
        let raft = RaftMessageCodec.encode(RaftMessage(from: 1, to: 2, term: 3, body: .timeoutNow), clusterID: Self.cluster)
        #expect(!LeaseForwardCodec.isLeaseForwardFrame(raft))
        #expect(throws: WireError.self) { try LeaseForwardCodec.decode(raft, clusterID: Self.cluster) }
        let lease = Self.frame(.request(.keepAlive(leaseID: 1)))
        #expect(throws: WireError.self) { try RaftMessageCodec.decode(lease, clusterID: Self.cluster) }
        #expect(!LeaseForwardCodec.isLeaseForwardFrame([]))
    }

    @Test func aFrameOfAnotherClusterIsRefused() {
        let bytes = LeaseForwardCodec.encode(
            LeaseForwardMessage(from: 1, to: 2, requestID: 1, body: .request(.keepAlive(leaseID: 1))), clusterID: 1)
        #expect(throws: WireError.invalid("message of cluster 1, expected \(Self.cluster)")) {
            try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test func anUnknownVersionIsRefused() {
        var bytes = Self.frame(.request(.keepAlive(leaseID: 1)))
        bytes[1] = 2
        #expect(throws: WireError.invalid("unsupported lease forwarding version 2")) {
            try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test func aWrongMarkerIsRefused() {
        var bytes = Self.frame(.request(.keepAlive(leaseID: 1)))
        bytes[0] = 0x4D
        #expect(throws: WireError.invalid("not a lease forwarding frame (first byte 77)")) {
            try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test func anUnknownTagIsRefused() {
        for tag: UInt8 in [0, 6, 255] {
            var bytes = Self.frame(.request(.keepAlive(leaseID: 1)))
            bytes[Self.tagOffset] = tag
            #expect(throws: WireError.invalid("unknown lease forwarding tag \(tag)")) {
                try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
            }
        }
    }

    @Test func anUnknownErrorCodeIsRefused() {
        for code: UInt8 in [0, 5, 200] {
            var bytes = Self.frame(.response(.refused(.leaseNotFound)))
            bytes[bytes.count - 1] = code
            #expect(throws: WireError.invalid("unknown lease error code \(code)")) {
                try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
            }
        }
    }

    @Test func aKeysFlagThatIsNotABooleanIsRefused() {
        var bytes = Self.frame(.request(.timeToLive(leaseID: 1, keys: true)))
        bytes[bytes.count - 1] = 2
        #expect(throws: WireError.self) { try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster) }
    }

    @Test func aKeyCountBeyondTheBytesPresentIsRefusedBeforeReadingKeys() {
        var bytes = Self.frame(.response(.timeToLive(LeaseTimeToLive(id: 1, ttlSeconds: 1, grantedTTLSeconds: 1, keys: [[1]]))))
        // The count follows the tag and three 8-byte integers.
        let countOffset = Self.tagOffset + 1 + 24
        bytes.replaceSubrange(countOffset..<(countOffset + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: WireError.invalid("key count \(0x7FFF_FFFF) exceeds the message")) {
            try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test(arguments: bodies)
    func everyTruncationIsRefused(body: LeaseForwardMessage.Body) {
        let bytes = Self.frame(body)
        for length in 0..<bytes.count {
            #expect(throws: WireError.self, "\(length) of \(bytes.count) bytes") {
                try LeaseForwardCodec.decode(Array(bytes[0..<length]), clusterID: Self.cluster)
            }
        }
    }

    @Test(arguments: bodies)
    func trailingBytesAreRefused(body: LeaseForwardMessage.Body) {
        let bytes = Self.frame(body) + [0]
        #expect(throws: WireError.invalid("1 bytes after the message")) {
            try LeaseForwardCodec.decode(bytes, clusterID: Self.cluster)
        }
    }
}
