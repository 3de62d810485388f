import ArgumentParser
import ConcordStorage
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `concord storage-bench`: measures the write-ahead log's group commit
/// against the disk's own synchronous-write rate. A benchmark, not a test:
/// it prints its figures and the command that reproduces them.
struct StorageBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-bench",
        abstract: "Measure write-ahead log appends (1, 8 and 64 writers) against the disk's synchronous-write rate."
    )

    @Option(help: "Directory to write in (a fresh subdirectory is created and removed); defaults to the system's temporary directory.")
    var directory: String?

    @Option(help: "Seconds each measurement runs.")
    var seconds: Double = 3

    @Option(help: "Payload bytes per record.")
    var payloadBytes: Int = 256

    @Option(help: "Concurrent writer counts to measure, comma-separated.")
    var writers: String = "1,8,64"

    @Flag(help: "Preallocate segments by writing zeros instead of fallocate.")
    var zeroFill = false

    /// The size of each synchronous write in the disk measurement: 4 KiB.
    static let diskWriteBytes = 4096

    func run() async throws {
        let root = directory ?? FileManager.default.temporaryDirectory.path
        let base = root + "/concord-storage-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let writerCounts = writers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !writerCounts.isEmpty, writerCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--writers takes positive counts, such as 1,8,64")
        }

        print("concord storage-bench --seconds \(seconds) --payload-bytes \(payloadBytes) --writers \(writers)\(zeroFill ? " --zero-fill" : "")")
        print("directory: \(root)  cores: \(ProcessInfo.processInfo.activeProcessorCount)  preallocation: \(zeroFill ? "zero-fill" : "fallocate")")

        let disk = try measureDisk(path: base + "/disk-probe")
        print(String(format: "disk: %.0f synchronous %d-byte writes/s (pwrite + fdatasync), %.2f MB/s", disk, Self.diskWriteBytes, disk * Double(Self.diskWriteBytes) / 1e6))
        print("writers  appends/s  MB/s   fsyncs/1000 records  records/batch  vs disk syncs/s  reopen ms (segments)")
        for count in writerCounts {
            let result = try await measureLog(directory: base + "/log-\(count)", writers: count)
            let rate = Double(result.records) / result.elapsed
            print(String(
                format: "%7d  %9.0f  %5.2f  %19.1f  %13.1f  %14.2fx  %9.1f (%d)",
                count, rate, rate * Double(payloadBytes) / 1e6,
                Double(result.syncs) * 1000 / Double(max(result.records, 1)),
                Double(result.records) / Double(max(result.batches, 1)), rate / disk,
                result.reopenSeconds * 1000, result.segments))
        }
    }

    /// Synchronous 4 KiB writes per second: `pwrite` then `fdatasync`, at
    /// increasing offsets of a preallocated file, the pattern the log uses.
    func measureDisk(path: String) throws -> Double {
        let fileSystem = Storage.PosixFileSystem()
        let file = try fileSystem.open(path, create: true)
        defer { try? file.close() }
        let fileBytes = 64 << 20
        try file.preallocate(to: UInt64(fileBytes), zeroFill: zeroFill)
        try file.sync()
        let block = [UInt8](repeating: 0xA5, count: Self.diskWriteBytes)
        let clock = ContinuousClock()
        let start = clock.now
        var writes = 0
        while true {
            try file.write(block, at: UInt64((writes * Self.diskWriteBytes) % fileBytes))
            try file.sync()
            writes += 1
            if writes % 16 == 0, Self.seconds(clock.now - start) >= seconds { break }
        }
        return Double(writes) / Self.seconds(clock.now - start)
    }

    struct LogResult {
        var records: Int
        var batches: Int
        var syncs: Int
        var elapsed: Double
        /// How long opening the directory again (recovery) took.
        var reopenSeconds: Double
        var segments: Int
    }

    /// Concurrent writers, each appending one record at a time and waiting
    /// until it is durable, for the configured time.
    func measureLog(directory: String, writers: Int) async throws -> LogResult {
        let configuration = Storage.LogConfiguration(preallocation: zeroFill ? .zeroFill : .allocate)
        let store = try Storage.NodeStore.open(directory: directory, configuration: configuration)
        let payload = [UInt8](repeating: 0x5A, count: payloadBytes)
        let clock = ContinuousClock()
        let start = clock.now
        let budget = seconds
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        while Self.seconds(clock.now - start) < budget {
                            _ = try await store.log.appendNext(term: 1, payload: payload)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            store.close()
            throw error
        }
        let elapsed = Self.seconds(clock.now - start)
        let statistics = store.log.currentStatistics
        store.close()
        let reopenStart = clock.now
        let reopened = try Storage.NodeStore.open(directory: directory, configuration: configuration)
        let reopenSeconds = Self.seconds(clock.now - reopenStart)
        reopened.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }.count
        return LogResult(
            records: statistics.records, batches: statistics.batches, syncs: statistics.syncs, elapsed: elapsed,
            reopenSeconds: reopenSeconds, segments: segments)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
