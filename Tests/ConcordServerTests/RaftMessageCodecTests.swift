@testable import ConcordServer
import ConcordRaft
import Testing

@Suite struct RaftMessageCodecTests {
    static let cluster: UInt64 = 0xC0FFEE

    static let configuration = ConfigurationState(voters: [1, 2, 3], votersOutgoing: [4], learners: [5], learnersNext: [4], autoLeave: true)

    static let bodies: [RaftMessage.Body] = [
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
        .snapshotChunkResponse(.init(snapshotIndex: 40, nextOffset: 2048, rejected: false)),
        .timeoutNow,
        .forwardedProposal([ProposedEntry(data: [1]), ProposedEntry(kind: .configurationChange, data: [2, 3])]),
        .readIndexRequest(context: 77),
        .readIndexResponse(index: 12, context: 77),
    ]

    @Test(arguments: bodies)
    func everyMessageKindRoundTrips(body: RaftMessage.Body) throws {
        let message = RaftMessage(from: 1, to: 2, term: 9, body: body)
        let bytes = RaftMessageCodec.encode(message, clusterID: Self.cluster)
        #expect(try RaftMessageCodec.decode(bytes, clusterID: Self.cluster) == message)
    }

    @Test func messageOfAnotherClusterIsRefused() {
        let bytes = RaftMessageCodec.encode(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow), clusterID: 1)
        #expect(throws: WireError.self) { try RaftMessageCodec.decode(bytes, clusterID: 2) }
    }

    @Test func everyTruncationAndTrailingByteIsRefused() throws {
        for body in Self.bodies {
            let bytes = RaftMessageCodec.encode(RaftMessage(from: 1, to: 2, term: 9, body: body), clusterID: Self.cluster)
            for length in 0..<bytes.count {
                #expect(throws: WireError.self) { try RaftMessageCodec.decode(Array(bytes[..<length]), clusterID: Self.cluster) }
            }
            #expect(throws: WireError.self) { try RaftMessageCodec.decode(bytes + [0], clusterID: Self.cluster) }
        }
    }

    @Test func randomGarbageNeverCrashesTheDecoder() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<80, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 9 {
                bytes[0] = RaftMessageCodec.version
                withUnsafeBytes(of: Self.cluster.littleEndian) { bytes.replaceSubrange(1..<9, with: $0) }
            }
            _ = try? RaftMessageCodec.decode(bytes, clusterID: Self.cluster)
        }
    }

    @Test func hugeDeclaredCountsAreRefusedWithoutAllocating() {
        var writer = WireWriter()
        writer.write(RaftMessageCodec.version)
        writer.write(Self.cluster)
        writer.write(UInt64(1))
        writer.write(UInt64(2))
        writer.write(UInt64(3))
        writer.write(RaftMessageCodec.Tag.appendEntries.rawValue)
        writer.write(UInt64(0))
        writer.write(UInt64(0))
        writer.write(UInt64(0))
        writer.write(UInt32.max)
        #expect(throws: WireError.self) { try RaftMessageCodec.decode(writer.bytes, clusterID: Self.cluster) }
    }
}

@Suite struct ProposalEnvelopeTests {
    @Test func envelopeRoundTripsAndRefusesShortInput() throws {
        let envelope = ProposalEnvelope(proposer: 42, requestID: 7, command: [1, 2, 3])
        #expect(try ProposalEnvelope(decoding: envelope.encoded) == envelope)
        for length in 0..<ProposalEnvelope.headerBytes {
            #expect(throws: WireError.self) { try ProposalEnvelope(decoding: Array(envelope.encoded[..<length])) }
        }
    }
}

@Suite struct ClusterMemberTests {
    @Test func initialClusterParsesAsEtcdWritesIt() throws {
        let members = try ClusterMember.parseCluster("a=http://127.0.0.1:2380,b=http://localhost:2480")
        #expect(members == [ClusterMember(name: "a", peerHost: "127.0.0.1", peerPort: 2380), ClusterMember(name: "b", peerHost: "localhost", peerPort: 2480)])
        #expect(members[0].id != members[1].id)
        #expect(ClusterMember.clusterID(of: members) == ClusterMember.clusterID(of: members.reversed()))
    }

    @Test(arguments: ["", "a", "a=", "a=http://h", "a=ftp://h:1", "a=http://h:99999", "a=http://h:1,a=http://h:2"])
    func badInitialClusterIsRefused(text: String) {
        #expect(throws: ServerConfigurationError.self) { try ClusterMember.parseCluster(text) }
    }
}
