import ConcordRaft
import ConcordStorage
import Dispatch
import Synchronization

/// Writes a node's persist requests to its `RaftLogStore` in order, on a
/// thread of its own, batching every request that queued up while the
/// previous batch was being written into one group commit.
///
/// Under load a Raft node hands out a persist request for nearly every
/// proposal and every append it receives; syncing each on its own would
/// cap a member at its disk's syncs per second. Here a request submitted
/// while a batch is in flight joins the next batch, so the number of syncs
/// follows the disk's speed rather than the request rate (etcd gets the
/// same from writing one `Ready` at a time).
///
/// `onPersisted` is called with the last sequence of each batch, after all
/// of it is durable, on the pipeline's queue.
final class PersistPipeline: Sendable {
    /// The most requests written in one batch.
    static let requestsPerBatchMax = 4096
    /// How far the stored commit index may trail (see
    /// `RaftLogStore.persist(batch:commitLagMax:)`), in entries.
    static let commitLagMax: UInt64 = 1000

    private struct State {
        var pending: [PersistRequest] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "concord.persist")
    private let store: Storage.RaftLogStore
    private let onPersisted: @Sendable (_ sequence: UInt64, _ requests: Int, _ nanoseconds: Int64) -> Void
    private let onFailure: @Sendable (any Error) -> Never

    /// Creates a pipeline writing to `store`.
    init(
        store: Storage.RaftLogStore,
        onPersisted: @escaping @Sendable (_ sequence: UInt64, _ requests: Int, _ nanoseconds: Int64) -> Void,
        onFailure: @escaping @Sendable (any Error) -> Never
    ) {
        self.store = store
        self.onPersisted = onPersisted
        self.onFailure = onFailure
    }

    /// Queues a request behind every earlier one.
    func submit(_ request: PersistRequest) {
        let startDrain = state.withLock { state in
            state.pending.append(request)
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
    }

    /// Runs `body` on the pipeline's queue after everything submitted
    /// before it is written.
    func afterQueuedWork(_ body: @escaping @Sendable () -> Void) {
        // A drain in progress keeps taking batches until none is left, and
        // the queue is serial, so a block queued after it runs after them.
        queue.async(execute: body)
    }

    private func drain() {
        while true {
            let batch: [PersistRequest] = state.withLock { state in
                let count = min(state.pending.count, Self.requestsPerBatchMax)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            guard let last = batch.last else { return }
            let start = ContinuousClock.now
            do {
                try store.persist(batch: batch, commitLagMax: Self.commitLagMax)
            } catch {
                onFailure(error)
            }
            let elapsed = ContinuousClock.now - start
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            onPersisted(last.sequence, batch.count, nanoseconds)
        }
    }
}
