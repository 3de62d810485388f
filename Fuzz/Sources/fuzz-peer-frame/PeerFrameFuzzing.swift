import ConcordKV
import ConcordPaxos
import ConcordRaft
import ConcordServerCore
import FuzzSupport

/// A frame from a peer as a member decodes it (`PeerFrame`: Raft messages,
/// forwarded lease requests and Multi-Paxos messages): decoding refuses bad
/// bytes with an error; what decodes encodes back to the same frame.
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
        // Multi-Paxos (kind 4): both phases, with a promise that carries a
        // snapshot and every slot kind, and the leader's other messages.
        let ballot = Ballot(round: 3, replica: 1)
        let multiPaxos: [MultiPaxosMessage.Body] = [
            .prepare(.init(fromSlot: 12, isLeadershipTransfer: true)),
            .promise(
                .init(
                    commit: 7, snapshot: MultiPaxosSnapshot(index: 5, data: [4, 5, 6]),
                    entries: [
                        MultiPaxosLogEntry(slot: 8, ballot: Ballot(round: 2, replica: 2), kind: .command, data: [1, 2]),
                        MultiPaxosLogEntry.vacant(9),
                        MultiPaxosLogEntry(slot: 10, ballot: ballot, kind: .noop),
                    ])),
            .reject(promised: Ballot(round: 9, replica: 3)),
            .accept(.init(firstSlot: 4, entries: [MultiPaxosLogEntry(slot: 4, ballot: ballot, data: [1, 2, 3])], leaderCommit: 3)),
            .acceptResponse(.init(agreedThrough: 4, lastReceived: 6, commit: 3)),
            .heartbeat(.init(commit: 5, readRound: 11, sentTick: 99)),
            .heartbeatResponse(.init(readRound: 11, sentTick: 99, agreedThrough: 5, commit: 5)),
            .snapshotChunk(.init(index: 40, offset: 0, data: [9], isLast: true)),
            .forwardedProposal([[1], [2, 3]]),
            .readIndexResponse(index: 12, context: 77),
        ]
        frames += multiPaxos.map { .multiPaxos(MultiPaxosMessage(from: 1, to: 2, ballot: ballot, body: $0)) }
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
