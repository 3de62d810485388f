import ConcordServerCore
import Foundation
import Testing

@testable import ConcordServer

/// The engine a data directory records, and the refusal of the other one.
@Suite struct EngineRecordTests {
    /// A fresh temporary directory, removed by the caller.
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-engine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Every file of `directory` with its bytes.
    private func contents(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return files
    }

    @Test(arguments: ConsensusEngineKind.allCases)
    func theRecordRoundTripsAndACorruptOneIsRefused(engine: ConsensusEngineKind) throws {
        let record = EngineRecord(engine: engine)
        let bytes = record.encoded
        #expect(bytes.count == EngineRecord.encodedBytes)
        #expect(try EngineRecord(decoding: bytes) == record)
        for position in bytes.indices {
            var flipped = bytes
            flipped[position] ^= 0x01
            #expect(throws: WireError.self, "bit flipped at \(position)") { try EngineRecord(decoding: flipped) }
        }
        MemberIdentityTests.expectTruncationsAndExtensionRefused(bytes) { _ = try EngineRecord(decoding: $0) }
    }

    @Test func theTwoEnginesHaveDifferentRecords() {
        #expect(EngineRecord(engine: .raft).encoded != EngineRecord(engine: .multiPaxos).encoded)
    }

    @Test(arguments: [(ConsensusEngineKind.raft, ConsensusEngineKind.multiPaxos), (.multiPaxos, .raft)])
    func aDirectoryIsBoundToTheFirstEngineAndRefusesTheOtherUnchanged(
        first: ConsensusEngineKind, other: ConsensusEngineKind
    ) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try EngineRecord.bind(directory: directory, to: first)
        #expect(try EngineRecord.load(from: directory) == EngineRecord(engine: first))
        // The log's files appear after the record.
        _ = FileManager.default.createFile(atPath: directory + "/segment-0000000000000001", contents: Data([1, 2, 3]))
        try EngineRecord.bind(directory: directory, to: first)
        let before = try contents(directory)
        #expect(throws: ServerConfigurationError.self) { try EngineRecord.bind(directory: directory, to: other) }
        do {
            try EngineRecord.bind(directory: directory, to: other)
        } catch {
            #expect(
                error.description.contains("was written by the \(first) engine")
                    && error.description.contains("cannot be opened with --consensus \(other)"), "\(error)")
        }
        #expect(try contents(directory) == before)
        try EngineRecord.bind(directory: directory, to: first)
    }

    @Test func aDirectoryWithDataButNoRecordCountsAsRaft() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // What a data directory held before engines were recorded.
        _ = FileManager.default.createFile(atPath: directory + "/snapshot-0000000000000000", contents: Data([7]))
        _ = FileManager.default.createFile(atPath: directory + "/.member-identity", contents: Data([7]))
        let before = try contents(directory)
        do {
            try EngineRecord.bind(directory: directory, to: .multiPaxos)
            Issue.record("an unrecorded directory with data was opened with Multi-Paxos")
        } catch {
            #expect(error.description.contains("predates engine records, so it counts as raft"), "\(error)")
            #expect(error.description.contains("--consensus multi-paxos"), "\(error)")
        }
        #expect(try contents(directory) == before)
        try EngineRecord.bind(directory: directory, to: .raft)
        #expect(try EngineRecord.load(from: directory) == EngineRecord(engine: .raft))
    }

    @Test func aDirectoryWithOnlyDotFilesTakesEitherEngine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/.member-identity", contents: Data([7]))
        try EngineRecord.bind(directory: directory, to: .multiPaxos)
        #expect(try EngineRecord.load(from: directory) == EngineRecord(engine: .multiPaxos))
    }

    @Test func aDamagedRecordIsRefusedNamingItsFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = EngineRecord(engine: .raft).encoded
        bytes[5] = 9
        _ = FileManager.default.createFile(atPath: directory + "/" + EngineRecord.fileName, contents: Data(bytes))
        do {
            try EngineRecord.bind(directory: directory, to: .raft)
            Issue.record("a damaged engine record was accepted")
        } catch {
            #expect(error.description.contains(EngineRecord.fileName) && error.description.contains("is damaged"), "\(error)")
        }
    }

    @Test func theFlagNamesBothEnginesAndRefusesOthers() throws {
        #expect(try ConsensusEngineKind.parse(flag: "raft") == .raft)
        #expect(try ConsensusEngineKind.parse(flag: "multi-paxos") == .multiPaxos)
        for bad in ["", "paxos", "Raft", "multipaxos", "fast-paxos"] {
            #expect(throws: ServerConfigurationError.invalid("--consensus must be raft or multi-paxos, not '\(bad)'")) {
                try ConsensusEngineKind.parse(flag: bad)
            }
        }
    }
}
