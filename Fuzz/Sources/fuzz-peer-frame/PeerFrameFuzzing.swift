import ConcordKV
import ConcordRaft
import ConcordServerCore
import FuzzSupport

/// A frame from a peer as a member decodes it (`PeerFrame`: Raft messages
/// and forwarded lease requests): decoding refuses bad bytes with an error;
/// what decodes encodes back to the same frame.
enum PeerFrameFuzzing: FuzzTarget {
    static let clusterID: UInt64 = 0xC0FFEE

    static func check(_ bytes: [UInt8]) {
        guard let addressed = try? PeerFrame.decode(bytes, clusterID: clusterID) else { return }
        let again = addressed.frame.encoded(from: addressed.from, to: addressed.to, clusterID: clusterID)
        precondition((try? PeerFrame.decode(again, clusterID: clusterID)) == addressed, "a decoded frame does not round-trip")
    }

    static func seeds() throws -> [[UInt8]] {
        let configuration = ConfigurationState(voters: [1, 2, 3], learners: [4])
        let messages: [RaftMessage.Body] = [
            .appendEntries(.init(previousIndex: 7, previousTerm: 2, entries: [LogEntry(index: 8, term: 3, data: [1, 2, 3])], leaderCommit: 6)),
            .appendResponse(.init(rejected: true, index: 9, hintIndex: 4, hintTerm: 2)),
            .heartbeat(.init(commit: 5, readRound: 11, sentTick: 99)),
            .voteRequest(.init(lastLogIndex: 10, lastLogTerm: 4, isPreVote: true, isLeadershipTransfer: false)),
            .snapshotChunk(.init(metadata: SnapshotMetadata(index: 40, term: 5, configuration: configuration), offset: 0, data: [9], isLast: true)),
            .forwardedProposal([ProposedEntry(data: [1])]),
            .readIndexResponse(index: 12, context: 77),
        ]
        var frames: [PeerFrame] = messages.map { .raft(RaftMessage(from: 1, to: 2, term: 9, body: $0)) }
        frames += [
            .leaseRequest(requestID: 1, .timeToLive(leaseID: 42, keys: true)),
            .leaseResponse(requestID: 1, .timeToLive(LeaseTimeToLive(id: 42, ttlSeconds: 3, grantedTTLSeconds: 60, keys: [[1, 2]]))),
            .leaseResponse(requestID: 2, .refused(.leaseNotFound)),
        ]
        return frames.map { $0.encoded(from: 1, to: 2, clusterID: clusterID) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    PeerFrameFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    PeerFrameFuzzing.initialize()
}
