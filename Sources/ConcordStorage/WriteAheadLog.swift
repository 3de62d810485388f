import Dispatch
import Foundation

extension Storage {
    /// The write-ahead log with group commit: any number of threads or tasks
    /// append concurrently, and each learns when its records are durable.
    ///
    /// One writer thread owns the segment files. It takes every append
    /// queued since its last sync (up to ``LogConfiguration/batchBytesMax``),
    /// writes them with one `pwrite` per segment, calls `fdatasync` once,
    /// and only then completes them: appends that arrive while a sync is in
    /// flight form the next batch. Truncation, compaction and reset are
    /// queued in the same order as appends.
    ///
    /// Durability contract: when an append completes successfully, its
    /// records and every record before them survive any crash. If a write
    /// or sync fails, the log fails every queued and later call with
    /// ``StorageError/logFailed(_:)``: after a failed `fdatasync` the page
    /// cache can no longer be trusted, so the only way forward is to reopen
    /// (and recover) from disk.
    ///
    /// Reads may return records that are written but not yet durable.
    /// Call ``close()`` when done; it waits for queued work to finish.
    public final class WriteAheadLog: @unchecked Sendable {
        // Safety: `queue`, `queuedNextIndex`, `truncatableFromIndex`,
        // `failure`, `isClosing`, `isWriterFinished`, `durableNextIndex` and
        // `statistics` are guarded by `condition`. `log` is mutated only by
        // the writer thread, while it holds `logLock`; readers hold
        // `logLock`. The writer syncs without `logLock`, which is safe
        // because only the writer mutates the log.

        /// Counters since the log was opened.
        public struct Statistics: Sendable, Hashable {
            /// Records made durable.
            public var records = 0
            /// Record bytes (frames, padding included) made durable.
            public var recordBytes = 0
            /// Group commits: batches written and synced together.
            public var batches = 0
            /// File syncs, including those of filled and new segments.
            public var syncs = 0
        }

        typealias Completion = @Sendable (Result<Void, StorageError>) -> Void

        enum Command {
            case append([LogRecord], Completion)
            case truncate(from: UInt64, Completion)
            case compact(through: UInt64, Completion)
            case reset(nextIndex: UInt64, Completion)
            case barrier(Completion)
            case sync(Completion)

            var completion: Completion {
                switch self {
                case let .append(_, completion), let .truncate(_, completion),
                    let .compact(_, completion), let .reset(_, completion), let .barrier(completion),
                    let .sync(completion):
                    return completion
                }
            }
        }

        private let condition = NSCondition()
        private let logLock = NSLock()
        private let log: SegmentedLog
        private let configuration: LogConfiguration
        private var queue: [Command] = []
        private var queuedNextIndex: UInt64
        private var truncatableFromIndex: UInt64
        private var durableNextIndex: UInt64
        private var failure: StorageError?
        private var isClosing = false
        private var isWriterFinished = false
        private var statistics = Statistics()

        init(log: SegmentedLog) {
            self.log = log
            self.configuration = log.configuration
            self.queuedNextIndex = log.nextIndex
            self.durableNextIndex = log.nextIndex
            self.truncatableFromIndex = log.firstIndex
            let thread = Thread { [self] in runWriter() }
            thread.name = "concord-wal-writer"
            thread.start()
        }

        // MARK: Appending

        /// Appends entries whose indexes run on from the last queued one;
        /// `completion` runs on the writer thread once they are durable (or
        /// with the error that stopped them).
        public func append(_ entries: [LogRecord], completion: @escaping @Sendable (Result<Void, StorageError>) -> Void) {
            condition.lock()
            if let error = refusal() {
                condition.unlock()
                return completion(.failure(error))
            }
            if let error = validate(entries) {
                condition.unlock()
                return completion(.failure(error))
            }
            guard let last = entries.last else {
                condition.unlock()
                return completion(.success(()))
            }
            queuedNextIndex = last.index + 1
            enqueue(.append(entries, completion))
            condition.unlock()
        }

        /// Appends entries and returns once they are durable.
        public func append(_ entries: [LogRecord]) async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                append(entries) { continuation.resume(with: $0.mapError { $0 }) }
            }
        }

        /// Appends one record at the next free index and returns that index
        /// once the record is durable. Meant for callers that do not choose
        /// indexes themselves, such as concurrent writers in a benchmark.
        public func appendNext(term: UInt64, payload: [UInt8]) async throws -> UInt64 {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UInt64, Error>) in
                condition.lock()
                let assigned = queuedNextIndex
                if let error = refusal() ?? validate([LogRecord(index: assigned, term: term, payload: payload)]) {
                    condition.unlock()
                    return continuation.resume(throwing: error)
                }
                queuedNextIndex += 1
                enqueue(.append([LogRecord(index: assigned, term: term, payload: payload)]) { result in
                    continuation.resume(with: result.map { assigned }.mapError { $0 })
                })
                condition.unlock()
            }
        }

        /// Appends entries and blocks the calling thread until they are
        /// durable.
        public func appendAndWait(_ entries: [LogRecord]) throws {
            try wait { append(entries, completion: $0) }
        }

        // MARK: Maintenance

        /// Removes the entries from `index` on, durably, after everything
        /// queued before it. Entries may then be appended from `index`.
        public func truncate(from index: UInt64) async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                truncate(from: index) { continuation.resume(with: $0.mapError { $0 }) }
            }
        }

        /// ``truncate(from:)`` that blocks the calling thread.
        public func truncateAndWait(from index: UInt64) throws {
            try wait { truncate(from: index, completion: $0) }
        }

        func truncate(from index: UInt64, completion: @escaping Completion) {
            condition.lock()
            if let error = refusal() {
                condition.unlock()
                return completion(.failure(error))
            }
            guard index >= truncatableFromIndex, index <= queuedNextIndex else {
                let error = StorageError.indexOutOfRange(index: index, firstIndex: truncatableFromIndex, lastIndex: queuedNextIndex - 1)
                condition.unlock()
                return completion(.failure(error))
            }
            queuedNextIndex = index
            enqueue(.truncate(from: index, completion))
            condition.unlock()
        }

        /// Removes whole segments whose entries all have indexes at or
        /// below `index` (covered by a durable snapshot), durably.
        public func compactAndWait(through index: UInt64) throws {
            try wait { completion in
                condition.lock()
                defer { condition.unlock() }
                if let error = refusal() { return completion(.failure(error)) }
                truncatableFromIndex = max(truncatableFromIndex, index + 1)
                enqueue(.compact(through: index, completion))
            }
        }

        /// Removes every entry and makes the log start empty at `nextIndex`
        /// (after installing a snapshot that replaces the whole log).
        public func resetAndWait(nextIndex: UInt64) throws {
            try wait { completion in
                condition.lock()
                defer { condition.unlock() }
                if let error = refusal() { return completion(.failure(error)) }
                queuedNextIndex = nextIndex
                truncatableFromIndex = nextIndex
                enqueue(.reset(nextIndex: nextIndex, completion))
            }
        }

        /// Refuses truncation below `index` from now on (entries there are
        /// covered by a snapshot).
        func forbidTruncation(below index: UInt64) {
            condition.lock()
            truncatableFromIndex = max(truncatableFromIndex, index)
            condition.unlock()
        }

        /// Blocks until everything queued before this call has been done
        /// (or has failed).
        public func waitForQueuedWork() throws {
            try wait { completion in
                condition.lock()
                defer { condition.unlock() }
                if let error = refusal() { return completion(.failure(error)) }
                enqueue(.barrier(completion))
            }
        }

        /// Makes every record written so far durable, after everything
        /// queued before it; `completion` runs on the writer thread. Needed
        /// only when ``LogConfiguration/syncsEachBatch`` is false (otherwise
        /// every completed append is already durable).
        public func sync(completion: @escaping @Sendable (Result<Void, StorageError>) -> Void) {
            condition.lock()
            defer { condition.unlock() }
            if let error = refusal() { return completion(.failure(error)) }
            enqueue(.sync(completion))
        }

        /// ``sync(completion:)`` that blocks the calling thread.
        public func syncAndWait() throws {
            try wait { sync(completion: $0) }
        }

        /// Waits for the writer to finish queued work, stops it and closes
        /// the files. Later calls fail with ``StorageError/closed``.
        public func close() {
            condition.lock()
            isClosing = true
            condition.broadcast()
            while !isWriterFinished { condition.wait() }
            condition.unlock()
            logLock.lock()
            log.close()
            logLock.unlock()
        }

        // MARK: Reading

        /// The index of the first entry the log holds.
        public var firstIndex: UInt64 {
            logLock.lock()
            defer { logLock.unlock() }
            return log.firstIndex
        }

        /// The index of the last entry written (zero-based logs report
        /// `firstIndex - 1` when empty). It may not be durable yet.
        public var lastIndex: UInt64 {
            logLock.lock()
            defer { logLock.unlock() }
            return log.nextIndex - 1
        }

        /// The index of the last entry known durable (with
        /// ``LogConfiguration/syncsEachBatch`` false: the last written).
        public var durableLastIndex: UInt64 {
            condition.lock()
            defer { condition.unlock() }
            return durableNextIndex - 1
        }

        /// Counters since the log was opened.
        public var currentStatistics: Statistics {
            condition.lock()
            defer { condition.unlock() }
            return statistics
        }

        /// The entries with indexes in `range`, read back from the files
        /// and checked.
        public func entries(in range: Range<UInt64>) throws -> [LogRecord] {
            logLock.lock()
            defer { logLock.unlock() }
            return try log.entries(in: range)
        }

        /// The term of the entry at `index`.
        public func term(at index: UInt64) throws -> UInt64 {
            try entries(in: index..<(index + 1))[0].term
        }

        // MARK: Queue

        /// Why a new command must be refused, if it must. Requires `condition`.
        private func refusal() -> StorageError? {
            if isClosing { return .closed }
            return failure
        }

        /// Why `entries` cannot follow the queued log, if they cannot.
        /// Requires `condition`.
        private func validate(_ entries: [LogRecord]) -> StorageError? {
            var expected = queuedNextIndex
            for entry in entries {
                if entry.index != expected { return .nonContiguousAppend(expectedIndex: expected, foundIndex: entry.index) }
                if entry.payload.count > configuration.recordPayloadBytesMax {
                    return .recordTooLarge(payloadBytes: entry.payload.count, limitBytes: configuration.recordPayloadBytesMax)
                }
                expected += 1
            }
            return nil
        }

        /// Requires `condition`.
        private func enqueue(_ command: Command) {
            queue.append(command)
            condition.signal()
        }

        private func wait(_ submit: (@escaping Completion) -> Void) throws {
            let done = DispatchSemaphore(value: 0)
            let outcome = OutcomeBox()
            submit { result in
                outcome.result = result
                done.signal()
            }
            done.wait()
            if case let .failure(error) = outcome.result { throw error }
        }

        /// Takes the next batch: every leading append up to the byte limit,
        /// or one other command. Requires `condition`.
        private func takeBatch() -> [Command] {
            guard case .append = queue[0] else { return [queue.removeFirst()] }
            var count = 0
            var bytes = 0
            while count < queue.count, case let .append(entries, _) = queue[count] {
                if count > 0 && bytes >= configuration.batchBytesMax { break }
                bytes += entries.reduce(0) { $0 + RecordFrame.frameBytes(payloadBytes: $1.payload.count) }
                count += 1
            }
            let batch = Array(queue[0..<count])
            queue.removeFirst(count)
            return batch
        }

        // MARK: Writer

        private func runWriter() {
            while true {
                condition.lock()
                while queue.isEmpty && !isClosing { condition.wait() }
                if queue.isEmpty {
                    isWriterFinished = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let batch = takeBatch()
                condition.unlock()
                execute(batch)
            }
        }

        private func execute(_ batch: [Command]) {
            do {
                var records = 0
                var recordBytes = 0
                var nextIndex: UInt64 = 0
                var isAppend = false
                if case .append = batch[0] {
                    isAppend = true
                    let entries = batch.flatMap { command -> [LogRecord] in
                        guard case let .append(entries, _) = command else { preconditionFailure("append batches hold only appends") }
                        return entries
                    }
                    records = entries.count
                    recordBytes = entries.reduce(0) { $0 + RecordFrame.frameBytes(payloadBytes: $1.payload.count) }
                    logLock.lock()
                    defer { logLock.unlock() }
                    try log.append(entries)
                    nextIndex = log.nextIndex
                } else {
                    logLock.lock()
                    defer { logLock.unlock() }
                    try perform(batch[0])
                    nextIndex = log.nextIndex
                }
                if isAppend && configuration.syncsEachBatch { try log.sync() }
                condition.lock()
                durableNextIndex = nextIndex
                statistics.records += records
                statistics.recordBytes += recordBytes
                if isAppend { statistics.batches += 1 }
                statistics.syncs = log.syncCount
                condition.unlock()
                for command in batch { command.completion(.success(())) }
            } catch {
                let storageError = error as? StorageError ?? .logFailed(String(describing: error))
                condition.lock()
                failure = .logFailed(storageError.description)
                let abandoned = queue
                queue.removeAll()
                condition.unlock()
                for command in batch { command.completion(.failure(storageError)) }
                for command in abandoned { command.completion(.failure(.logFailed(storageError.description))) }
            }
        }

        /// Runs one maintenance command. Requires `logLock`.
        private func perform(_ command: Command) throws {
            switch command {
            case .append:
                preconditionFailure("appends are batched")
            case let .truncate(index, _):
                try log.truncate(from: index)
            case let .compact(index, _):
                try log.compact(through: index)
            case let .reset(nextIndex, _):
                try log.reset(nextIndex: nextIndex)
            case .barrier:
                break
            case .sync:
                try log.sync()
            }
        }
    }

    /// Carries a result from the writer thread to a blocked caller; the
    /// semaphore orders the write before the read.
    private final class OutcomeBox: @unchecked Sendable {
        var result: Result<Void, StorageError> = .success(())
    }
}
