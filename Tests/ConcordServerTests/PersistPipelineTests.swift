import ConcordRaft
import ConcordStorage
import Synchronization
import Testing

@testable import ConcordServer

/// `PersistPipeline` writes requests in order, reports each batch's last
/// sequence after it is durable, and runs `afterQueuedWork` blocks only
/// after everything submitted before them.
@Suite struct PersistPipelineTests {
    static let membership = ConfigurationState(voters: [1, 2, 3])
    /// Small segments keep the simulated files small.
    static let configuration = Storage.LogConfiguration(segmentBytes: 16 * 1024, recordPayloadBytesMax: 256, batchBytesMax: 16 * 1024)

    static func open(_ fileSystem: Storage.SimulatedFileSystem) throws -> Storage.RaftLogStore {
        try Storage.RaftLogStore.open(
            directory: "/data", bootstrap: .bootstrap(membership), fileSystem: fileSystem, configuration: configuration)
    }

    static func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [LogEntry] {
        range.map { LogEntry(index: $0, term: term, kind: .normal, data: Array("entry \($0) term \(term)".utf8)) }
    }

    @Test func requestsAreWrittenInOrderAndEveryBatchIsReportedInOrder() async throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        let reported = Mutex<[UInt64]>([])
        let pipeline = PersistPipeline(
            store: store,
            onPersisted: { sequence, _, _ in reported.withLock { $0.append(sequence) } },
            onFailure: { error in fatalError("persist failed: \(error)") })
        // 200 requests of 3 entries each; every tenth overwrites the last
        // entry of the one before it with a higher term, as a follower's
        // log is corrected.
        var expected: [LogEntry] = []
        var next: UInt64 = 2
        var lastTerm: UInt64 = 0
        for sequence in UInt64(1)...200 {
            var first = next
            var term: UInt64 = 1 + sequence / 10
            if sequence % 10 == 0 {
                first = next - 1
                term += 1
            }
            let batch = Self.entries(first...(first + 2), term: term)
            lastTerm = term
            expected.removeAll { $0.index >= first }
            expected.append(contentsOf: batch)
            next = first + 3
            pipeline.submit(PersistRequest(sequence: sequence, entries: batch, hardState: HardState(term: term, vote: 1, commit: first)))
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            pipeline.afterQueuedWork { done.resume() }
        }
        let sequences = reported.withLock { $0 }
        #expect(sequences.last == 200, "the last request was reported")
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(sequences)")
        let loaded = try store.load()
        #expect(loaded.entries == expected)
        // The term and vote of the last request are durable; the commit
        // index may trail by at most the pipeline's lag.
        #expect(loaded.hardState.term == lastTerm && loaded.hardState.vote == 1)
        store.close()
    }

    @Test func workQueuedAfterASubmitRunsOnlyOnceItIsDurable() async throws {
        let fileSystem = Storage.SimulatedFileSystem()
        let store = try Self.open(fileSystem)
        defer { store.close() }
        let reported = Mutex<UInt64>(0)
        let pipeline = PersistPipeline(
            store: store,
            onPersisted: { sequence, _, _ in reported.withLock { $0 = sequence } },
            onFailure: { error in fatalError("persist failed: \(error)") })
        for round in UInt64(0)..<20 {
            let sequence = round + 1
            pipeline.submit(PersistRequest(sequence: sequence, entries: Self.entries((2 + round)...(2 + round), term: 1)))
            let seen = await withCheckedContinuation { (done: CheckedContinuation<UInt64, Never>) in
                pipeline.afterQueuedWork { done.resume(returning: reported.withLock { $0 }) }
            }
            #expect(seen == sequence)
            #expect(try store.load().lastIndex == 2 + round)
        }
    }
}
