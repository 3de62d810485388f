import ConcordDynamo
import ConcordFoundation
import ConcordKV
import ConcordPaxos
import ConcordRaft
import Testing

@testable import ConcordServerCore

/// Everything on the peer connection is one `PeerFrame`: one header, one
/// version, one kind byte, and a clear refusal of anything else.
@Suite struct PeerFrameTests {
    static let cluster: UInt64 = 0xC0FFEE

    static let configuration = ConfigurationState(voters: [1, 2, 3], votersOutgoing: [4], learners: [5], learnersNext: [4], autoLeave: true)

    static let raftBodies: [RaftMessage.Body] = [
        .appendEntries(
            .init(
                previousIndex: 7, previousTerm: 2,
                entries: [LogEntry(index: 8, term: 3, data: [1, 2, 3]), LogEntry(index: 9, term: 3, kind: .configurationChange, data: [])],
                leaderCommit: 6)),
        .appendEntries(.init(previousIndex: 0, previousTerm: 0, entries: [], leaderCommit: 0)),
        .appendResponse(.init(rejected: true, index: 9, hintIndex: 4, hintTerm: 2)),
        .appendResponse(.init(rejected: false, index: 9)),
        .heartbeat(.init(commit: 5, readRound: 11, sentTick: 99)),
        .heartbeatResponse(.init(readRound: 11, sentTick: 99)),
        .voteRequest(.init(lastLogIndex: 10, lastLogTerm: 4, isPreVote: true, isLeadershipTransfer: false)),
        .voteResponse(.init(granted: true, isPreVote: false)),
        .snapshotChunk(
            .init(metadata: SnapshotMetadata(index: 40, term: 5, configuration: configuration), offset: 1024, data: [9, 9], isLast: true)),
        .snapshotChunkResponse(.init(snapshotIndex: 40, chunkOffset: 1024, nextOffset: 2048, rejected: false)),
        .timeoutNow,
        .forwardedProposal([ProposedEntry(data: [1]), ProposedEntry(kind: .configurationChange, data: [2, 3])]),
        .readIndexRequest(context: 77),
        .readIndexResponse(index: 12, context: 77),
    ]

    static let leaseFrames: [PeerFrame] =
        [
            .leaseRequest(requestID: 0xFEED, .keepAlive(leaseID: 0x1234_5678_9ABC)),
            .leaseRequest(requestID: 1, .keepAlive(leaseID: -1)),
            .leaseRequest(requestID: 2, .timeToLive(leaseID: 42, keys: true)),
            .leaseRequest(requestID: 3, .timeToLive(leaseID: Int64.max, keys: false)),
            .leaseResponse(requestID: 4, .renewed(ttlSeconds: 60)),
            .leaseResponse(
                requestID: 5,
                .timeToLive(LeaseTimeToLive(id: 42, ttlSeconds: 17, grantedTTLSeconds: 60, keys: [Array("a".utf8), [], [0, 255, 7]]))),
            .leaseResponse(requestID: 6, .timeToLive(LeaseTimeToLive(id: 9, ttlSeconds: 0, grantedTTLSeconds: 5, keys: []))),
        ] + LeaseError.allCases.map { .leaseResponse(requestID: 7, .refused($0)) }

    static let multiPaxosBodies: [MultiPaxosMessage.Body] = [
        .prepare(.init(fromSlot: 12, isLeadershipTransfer: true)),
        .prepare(.init(fromSlot: 0)),
        .promise(
            .init(
                commit: 7, snapshot: MultiPaxosSnapshot(index: 5, data: [4, 5, 6]),
                entries: [
                    MultiPaxosLogEntry(slot: 8, ballot: Ballot(round: 3, replica: 2), kind: .command, data: [1, 2]),
                    MultiPaxosLogEntry.vacant(9),
                    MultiPaxosLogEntry(slot: 10, ballot: Ballot(round: 3, replica: 1), kind: .noop),
                ])),
        .promise(.init(commit: 0)),
        .reject(promised: Ballot(round: 9, replica: 3)),
        .accept(
            .init(
                firstSlot: 4, entries: [MultiPaxosLogEntry(slot: 4, ballot: Ballot(round: 2, replica: 1), data: Array("put".utf8))],
                leaderCommit: 3)),
        .acceptResponse(.init(agreedThrough: 4, lastReceived: 6, commit: 3)),
        .heartbeat(.init(commit: 5, readRound: 11, sentTick: 99)),
        .heartbeatResponse(.init(readRound: 11, sentTick: 99, agreedThrough: 5, commit: 5)),
        .snapshotChunk(.init(index: 40, offset: 1024, data: [9, 9], isLast: true)),
        .snapshotChunkResponse(.init(index: 40, nextOffset: 2048, rejected: true)),
        .timeoutNow,
        .forwardedProposal([[1], [], [2, 3]]),
        .readIndexRequest(context: 77),
        .readIndexResponse(index: 12, context: 77),
    ]

    static var allFrames: [PeerFrame] {
        raftBodies.map { .raft(RaftMessage(from: 1, to: 2, term: 9, body: $0)) } + leaseFrames
            + multiPaxosBodies.map { .multiPaxos(MultiPaxosMessage(from: 1, to: 2, ballot: Ballot(round: 4, replica: 1), body: $0)) }
            + dynamoMessages.map { .dynamo($0) } + [.dynamoBatch(dynamoMessages), .dynamoBatch([])]
    }

    /// Available-store messages share the peer connection (kind 5).
    static let dynamoMessages: [DynamoMessage] = [
        .replicateAck(operation: 42),
        .handoffAck(batch: 7),
        .read(operation: 3, key: ByteString(Array("greeting".utf8)), session: nil, includeHints: true),
    ]

    static func encode(_ frame: PeerFrame, clusterID: UInt64 = cluster) -> [UInt8] {
        frame.encoded(from: 1, to: 2, clusterID: clusterID)
    }

    @Test(arguments: allFrames)
    func everyFrameRoundTrips(frame: PeerFrame) throws {
        let decoded = try PeerFrame.decode(Self.encode(frame), clusterID: Self.cluster)
        #expect(decoded == PeerFrame.Addressed(from: 1, to: 2, frame: frame))
    }

    @Test func aRaftMessagesSenderAndReceiverAreTheHeaders() throws {
        let message = RaftMessage(from: 3, to: 5, term: 2, body: .timeoutNow)
        let decoded = try PeerFrame.decode(PeerFrame.encoded(message, clusterID: Self.cluster), clusterID: Self.cluster)
        #expect(decoded.from == 3 && decoded.to == 5 && decoded.frame == .raft(message))
    }

    @Test func aFrameOfAnotherClusterIsRefusedAndItsClusterCanBeRead() {
        let bytes = Self.encode(.raft(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow)), clusterID: 1)
        #expect(throws: WireError.invalid("frame of cluster 1, expected \(Self.cluster)")) {
            try PeerFrame.decode(bytes, clusterID: Self.cluster)
        }
        #expect(PeerFrame.clusterID(in: bytes) == 1)
        #expect(PeerFrame.clusterID(in: Self.encode(.raft(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow)), clusterID: 0)) == nil)
        #expect(PeerFrame.clusterID(in: [2, 1]) == nil)
    }

    @Test func theFormatsOfEarlierReleasesAndUnknownVersionsAreRefused() {
        // Version 1 was the untyped Raft frame; 0x4C ("L") began a lease
        // frame; version 2 had a shorter snapshot chunk answer.
        for version: UInt8 in [0, 1, 2, 4, 0x4C, 255] {
            var bytes = Self.encode(.leaseRequest(requestID: 1, .keepAlive(leaseID: 1)))
            bytes[0] = version
            #expect(throws: WireError.invalid("unsupported peer frame version \(version)")) {
                try PeerFrame.decode(bytes, clusterID: Self.cluster)
            }
            #expect(PeerFrame.clusterID(in: bytes) == nil)
        }
    }

    @Test func aBatchOfStoreMessagesKeepsTheirOrderAndATruncatedOneIsRefused() throws {
        let messages: [DynamoMessage] = (0..<40).map { .replicateAck(operation: UInt64($0)) } + Self.dynamoMessages
        let bytes = Self.encode(.dynamoBatch(messages))
        #expect(try PeerFrame.decode(bytes, clusterID: Self.cluster).frame == .dynamoBatch(messages))
        #expect(throws: WireError.self) { try PeerFrame.decode(Array(bytes.dropLast()), clusterID: Self.cluster) }
        // A count larger than the body can hold is refused before anything is read.
        var overstated = Self.encode(.dynamoBatch([.replicateAck(operation: 1)]))
        overstated[PeerFrame.headerBytes] = 200
        #expect(throws: WireError.self) { try PeerFrame.decode(overstated, clusterID: Self.cluster) }
    }

    @Test func anUnknownKindIsRefused() {
        for kind: UInt8 in [0, 8, 200] {
            var bytes = Self.encode(.raft(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow)))
            bytes[PeerFrame.headerBytes - 1] = kind
            #expect(throws: WireError.invalid("unknown peer frame kind \(kind)")) { try PeerFrame.decode(bytes, clusterID: Self.cluster) }
        }
    }

    @Test func unknownTagsErrorCodesAndBooleansAreRefused() {
        let tagOffset = PeerFrame.headerBytes + 8
        var request = Self.encode(.leaseRequest(requestID: 1, .keepAlive(leaseID: 1)))
        request[tagOffset] = 9
        #expect(throws: WireError.invalid("unknown lease forwarding request tag 9")) { try PeerFrame.decode(request, clusterID: Self.cluster) }
        var response = Self.encode(.leaseResponse(requestID: 1, .refused(.leaseNotFound)))
        response[tagOffset + 1] = 99
        #expect(throws: WireError.invalid("unknown lease error code 99")) { try PeerFrame.decode(response, clusterID: Self.cluster) }
        var flag = Self.encode(.leaseRequest(requestID: 1, .timeToLive(leaseID: 1, keys: true)))
        flag[flag.count - 1] = 2
        #expect(throws: WireError.self) { try PeerFrame.decode(flag, clusterID: Self.cluster) }
        var raftTag = Self.encode(.raft(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow)))
        raftTag[PeerFrame.headerBytes + 8] = 77
        #expect(throws: WireError.invalid("unknown message tag 77")) { try PeerFrame.decode(raftTag, clusterID: Self.cluster) }
    }

    @Test func multiPaxosTagsAndSlotKindsOutsideTheFormatAreRefused() {
        let message = MultiPaxosMessage(from: 1, to: 2, ballot: Ballot(round: 1, replica: 1), body: .timeoutNow)
        var tag = Self.encode(.multiPaxos(message))
        tag[PeerFrame.headerBytes + 8] = 14
        #expect(throws: WireError.invalid("unknown Multi-Paxos message tag 14")) { try PeerFrame.decode(tag, clusterID: Self.cluster) }
        let slot = MultiPaxosLogEntry(slot: 1, ballot: Ballot(round: 1, replica: 1), kind: .noop)
        let accept = MultiPaxosMessage(
            from: 1, to: 2, ballot: Ballot(round: 1, replica: 1), body: .accept(.init(firstSlot: 1, entries: [slot], leaderCommit: 0)))
        let bytes = Self.encode(.multiPaxos(accept))
        // The slot's kind byte sits before its 4-byte data length, at the end.
        var unknownKind = bytes
        unknownKind[bytes.count - 5] = 3
        #expect(throws: WireError.invalid("unknown slot kind 3")) { try PeerFrame.decode(unknownKind, clusterID: Self.cluster) }
        var noopWithData = Array(bytes.dropLast(4))
        noopWithData += [1, 0, 0, 0, 42]
        #expect(throws: WireError.invalid("a noop slot with 1 bytes of data")) { try PeerFrame.decode(noopWithData, clusterID: Self.cluster) }
    }

    @Test(arguments: allFrames)
    func everyTruncationAndTrailingByteIsRefused(frame: PeerFrame) {
        let bytes = Self.encode(frame)
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try PeerFrame.decode(Array(bytes[..<length]), clusterID: Self.cluster) }
        }
        #expect(throws: WireError.self) { try PeerFrame.decode(bytes + [0], clusterID: Self.cluster) }
    }

    @Test func randomGarbageNeverCrashesTheDecoder() {
        var random = SeededRandom(seed: 2026)
        for _ in 0..<5000 {
            let count = random.index(below: 96)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if bytes.count > PeerFrame.headerBytes {
                bytes[0] = PeerFrame.version
                bytes.replaceSubrange(1..<9, with: Array(BinaryWriter.fixed(Self.cluster)))
                bytes[PeerFrame.headerBytes - 1] = UInt8(1 + random.index(below: 4))
            }
            _ = try? PeerFrame.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test func hugeDeclaredCountsAreRefusedWithoutAllocating() {
        var append = BinaryWriter()
        append.writeRaw(Self.encode(.raft(RaftMessage(from: 1, to: 2, term: 3, body: .timeoutNow))).prefix(PeerFrame.headerBytes))
        append.writeFixed(UInt64(3))
        append.writeByte(RaftMessageCoding.Tag.appendEntries.rawValue)
        for _ in 0..<3 { append.writeFixed(UInt64(0)) }
        append.writeFixed(UInt32.max)
        #expect(throws: WireError.invalid("entry count \(UInt32.max) exceeds the message")) {
            try PeerFrame.decode(append.bytes, clusterID: Self.cluster)
        }
        var keys = BinaryWriter()
        keys.writeRaw(Self.encode(.leaseResponse(requestID: 1, .renewed(ttlSeconds: 1))).prefix(PeerFrame.headerBytes + 8))
        keys.writeByte(LeaseForwardCoding.Tag.status.rawValue)
        for _ in 0..<3 { keys.writeFixed(UInt64(1)) }
        keys.writeFixed(UInt32(1_000_000))
        #expect(throws: WireError.invalid("key count 1000000 exceeds the message")) { try PeerFrame.decode(keys.bytes, clusterID: Self.cluster) }
    }

    @Test func everyLeaseErrorHasItsOwnCode() {
        let codes = LeaseError.allCases.map(LeaseForwardCoding.code(of:))
        #expect(Set(codes).count == LeaseError.allCases.count)
        for error in LeaseError.allCases { #expect(LeaseForwardCoding.error(code: LeaseForwardCoding.code(of: error)) == error) }
    }
}

extension BinaryWriter {
    /// The little-endian bytes of `value`.
    static func fixed(_ value: UInt64) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeFixed(value)
        return writer.bytes
    }
}
