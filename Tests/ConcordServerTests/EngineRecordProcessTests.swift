import ConcordServerCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `concord server --consensus`: a data directory written by one engine is
/// refused by the other at start, with a message naming both, and left as
/// it was; the engine that wrote it opens it again.
extension ProcessClusterTests {
@Suite struct EngineRecordProcessTests {
    /// Every file of `directory` with its bytes.
    private func contents(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
        }
        return files
    }

    @Test(arguments: [(ConsensusEngineKind.raft, ConsensusEngineKind.multiPaxos), (.multiPaxos, .raft)])
    func aDataDirectoryIsRefusedByTheOtherEngineAndLeftUnchanged(
        written: ConsensusEngineKind, other: ConsensusEngineKind
    ) async throws {
        let cluster = try ProcessCluster(size: 1, consensus: written)
        do {
            try await exercise(cluster, written: written, other: other)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.shutdown()
    }

    private func exercise(_ cluster: ProcessCluster, written: ConsensusEngineKind, other: ConsensusEngineKind) async throws {
        try cluster.start(0)
        try await cluster.waitForLeader(seconds: 20)
        #expect(try await cluster.etcdctlOK(["put", "k", "v"]) == "OK\n")
        cluster.signal(0, SIGTERM)
        let stopped = try await cluster.waitForExit(0, seconds: 15)
        #expect(stopped.status == 0 && !stopped.bySignal, "\(stopped)")
        let directory = cluster.nodes[0].dataDirectory
        var predates = false
        if written == .raft {
            // A Raft directory written before engines were recorded has no record.
            try FileManager.default.removeItem(at: directory.appendingPathComponent(".consensus-engine"))
            predates = true
        }
        let before = try contents(directory)

        cluster.consensus = other
        let earlierLog = cluster.log(0).utf8.count
        try cluster.start(0)
        let refused = try await cluster.waitForExit(0, seconds: StartStopProcessTests.failedStartSecondsBound)
        // The refused start's lines only (the log file keeps the first run's).
        let log = String(decoding: cluster.log(0).utf8.dropFirst(earlierLog), as: UTF8.self)
        #expect(!refused.bySignal && refused.status != 0, "\(refused)")
        #expect(
            log.contains("concord server: --data-dir \(directory.path) was written by the \(written) engine"), "\(log)")
        #expect(log.contains("cannot be opened with --consensus \(other): start with --consensus \(written)"), "\(log)")
        #expect(log.contains("predates engine records") == predates, "\(log)")
        #expect(!log.contains("listening for peers"), "\(log)")
        #expect(try contents(directory) == before)

        cluster.consensus = written
        try cluster.start(0)
        try await cluster.waitForLeader(seconds: 20)
        #expect(try await cluster.etcdctlOK(["get", "k"]) == "k\nv\n")
    }

    @Test func anUnknownEngineIsRefusedByServerAndDev() async throws {
        let binary = try concordBinary().path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-engine-flag-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await runCommand(
            binary,
            [
                "server", "--name", "n1", "--data-dir", directory.path, "--listen-peer-urls", "http://127.0.0.1:1",
                "--listen-client-urls", "http://127.0.0.1:2", "--initial-cluster", "n1=http://127.0.0.1:1", "--consensus", "paxos",
            ])
        #expect(server.status != 0)
        #expect(server.error.contains("--consensus must be raft or multi-paxos, not 'paxos'"), "\(server.error)")
        let dev = try await runCommand(binary, ["dev", "--data-dir", directory.path, "--consensus", "fast-paxos"])
        #expect(dev.status != 0)
        #expect(dev.error.contains("--consensus must be raft or multi-paxos, not 'fast-paxos'"), "\(dev.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }
}
}
