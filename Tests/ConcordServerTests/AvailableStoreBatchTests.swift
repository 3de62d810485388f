import ConcordDynamo
import ConcordRedis
import Foundation
import Logging
import Testing

@testable import ConcordServer

/// The available store takes every complete command of one read as one
/// step: one batch through the node, one log append, one chunk of replies.
/// A batch keeps Redis's reply order, reads its own writes in order, and
/// lets no reply out before the log holds its record. One member (N = 1)
/// with a real log in a temporary directory; a pipeline is one call of
/// `receive(bytes:connection:)`, as one read of the socket would be.
@Suite struct AvailableStoreBatchTests {
    /// The longest a test waits for its replies (the machine may be loaded).
    static let repliesDeadlineSeconds: UInt64 = 30

    struct Harness {
        let store: AvailableStore
        let directory: String
        let connection: Int64
        let outbound: AsyncStream<AvailableStore.Outbound>
    }

    /// A started store of member 1 of `members` (peers' messages are
    /// dropped) in a fresh directory, whose connections obey `auth`, and
    /// one connection.
    func withStore(
        _ appendFsync: AppendFsync, auth: AppliedAuth = AppliedAuth(), members: [MemberID] = [MemberID(1)],
        _ body: (Harness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-batch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AvailableStore(
            member: MemberID(1), members: members, dataDirectory: directory, appendFsync: appendFsync,
            settings: RedisSettings(), logger: Logger(label: "available-store-batch-tests"), auth: auth, send: { _, _ in })
        await store.start()
        let (connection, outbound) = await store.open()
        do {
            try await body(Harness(store: store, directory: directory, connection: connection, outbound: outbound))
        } catch {
            await store.stop()
            throw error
        }
        await store.stop()
    }

    /// The RESP form of a pipeline of commands.
    func pipeline(_ commands: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for words in commands {
            bytes += Array("*\(words.count)\r\n".utf8)
            for word in words { bytes += Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8) }
        }
        return bytes
    }

    /// Reads the connection's reply bytes until `count` whole replies
    /// arrived (or the deadline passed), telling the store what was written.
    private func replies(_ count: Int, _ harness: Harness) async throws -> [RESPValue] {
        let (store, id, outbound) = (harness.store, harness.connection, harness.outbound)
        return try await withThrowingTaskGroup(of: [RESPValue]?.self) { tasks in
            tasks.addTask {
                var bytes: [UInt8] = []
                for await item in outbound {
                    guard case .bytes(let chunk) = item else { break }
                    bytes += chunk
                    await store.wrote(chunk.count, connection: id)
                    let parsed = try RESPReplyParser.parseAll(bytes)
                    if parsed.count >= count { return parsed }
                }
                return try RESPReplyParser.parseAll(bytes)
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(Self.repliesDeadlineSeconds))
                return nil
            }
            let first = try await tasks.next()!
            tasks.cancelAll()
            guard let values = first else {
                throw HarnessError(description: "fewer than \(count) replies within \(Self.repliesDeadlineSeconds) s")
            }
            return values
        }
    }

    @Test(arguments: ["QUORUM", "ONE"])
    func aPipelineOfOneReadIsAnsweredInOrderAndReadsItsOwnWrites(level: String) async throws {
        try await withStore(.everysec) { harness in
            let with = ["CONCORD.WITH", level]
            var commands: [[String]] = [
                with + ["SET", "k", "a"], with + ["GET", "k"], with + ["SET", "k", "b"], with + ["GET", "k"],
                ["PING"], with + ["INCR", "n"], with + ["INCR", "n"], with + ["GET", "n"],
                with + ["DEL", "k"], with + ["GET", "k"], with + ["EXISTS", "k", "n"], with + ["SADD", "s", "x"],
                with + ["SADD", "s", "x", "y"], with + ["SCARD", "s"], with + ["SET", "k", "d", "NX"], with + ["SET", "k", "e", "NX"],
                with + ["MGET", "k", "n", "missing"],
            ]
            var expected: [RESPValue] = [
                .ok, .bulkString(Array("a".utf8)), .ok, .bulkString(Array("b".utf8)),
.simpleString("PONG"), .integer(1), .integer(2), .bulkString(Array("2".utf8)),
                .integer(1), .null, .integer(1), .integer(1),
                .integer(1), .integer(2), .ok, .null,
                .array([.bulkString(Array("d".utf8)), .bulkString(Array("2".utf8)), .null]),
            ]
            // A long run of writes and reads of one key: each read shows
            // exactly the writes before it.
            for step in 1...100 {
                commands.append(with + ["SET", "run", "v\(step)"])
                commands.append(with + ["GET", "run"])
                expected += [.ok, .bulkString(Array("v\(step)".utf8))]
            }
            let received = await harness.store.receive(bytes: pipeline(commands), connection: harness.connection)
            #expect(received)
            let answers = try await replies(expected.count, harness)
            #expect(answers.count == expected.count)
            for (index, (answer, want)) in zip(answers, expected).enumerated() {
                #expect(answer == want, "reply \(index) to \(commands[index])")
            }
        }
    }

    /// Admission: once the node coordinates `admission.high` requests, no
    /// connection is read until they fall to `admission.low`. Three
    /// members whose peers never answer: each write at W = 1 is answered at
    /// once and coordinated on until its deadline (5 s).
    @Test func connectionsAreNotReadWhileTheNodeCoordinatesTooManyRequests() async throws {
        try await withStore(.no, members: [MemberID(1), MemberID(2), MemberID(3)]) { harness in
            let store = harness.store
            await store.setAdmission(high: 20, low: 10)
            let writes = (0..<25).map { ["CONCORD.WITH", "ONE", "SET", "k\($0)", "v\($0)"] }
            let first = Task { await store.receive(bytes: pipeline(writes), connection: harness.connection) }
            #expect(try await replies(writes.count, harness) == Array(repeating: RESPValue.ok, count: writes.count))
            #expect(await store.admissionClosed)
            // A second connection's read waits before its command is taken.
            let (other, otherOutbound) = await store.open()
            let held = Harness(store: store, directory: harness.directory, connection: other, outbound: otherOutbound)
            let second = Task { await store.receive(bytes: pipeline([["CONCORD.WITH", "ONE", "GET", "k3"]]), connection: other) }
            try await waitUntil("both readers held", seconds: 30) { await store.waitingReaders == 2 }
            #expect(await store.admissionClosed, "still closed: nothing ended the coordinations yet")
            // The writes' coordinations end at their deadline; admission
            // opens and the held command is taken and answered.
            #expect(try await replies(1, held) == [.bulkString(Array("v3".utf8))])
            #expect(await !store.admissionClosed)
            let (firstRead, secondRead) = (await first.value, await second.value)
            #expect(firstRead && secondRead)
        }
    }

    /// A connection whose replies are not written is read no further past
    /// `queuedBytesMax`; its writer takes what it wrote off the count
    /// without the store, and only the write that brings the count back
    /// under the limit calls on the store, to let the reader go on.
    @Test func aReaderWaitsForRoomAndGoesOnOnceItsWriterFreesIt() async throws {
        try await withStore(.no) { harness in
            let store = harness.store
            let opened = await store.openConnection()
            var written = opened.outbound.makeAsyncIterator()
            let value = String(repeating: "x", count: 1 << 20)
            _ = await store.receive(bytes: pipeline([["SET", "big", value]]), connection: opened.id)
            guard case .bytes(let ok) = await written.next() else { throw HarnessError(description: "no reply to SET") }
            #expect(!opened.queued.written(ok.count), "nothing waited for room")
            // Six replies of 1 MiB: more than the limit waits to be written.
            let reader = Task { await store.receive(bytes: pipeline(Array(repeating: ["GET", "big"], count: 6)), connection: opened.id) }
            try await waitUntil("the reader waits for room", seconds: 30) { await store.waitingReaders == 1 }
            #expect(opened.queued.value > AvailableStore.queuedBytesMax)
            var bytes = 0
            var freed = 0
            while bytes < 6 << 20 {
                guard case .bytes(let chunk) = await written.next() else { break }
                bytes += chunk.count
                if opened.queued.written(chunk.count) {
                    freed += 1
                    await store.roomFreed(connection: opened.id)
                }
            }
            #expect(freed == 1, "one write brought the count back under the limit")
            #expect(opened.queued.value == 0)
            try await waitUntil("the reader goes on", seconds: 30) { await store.waitingReaders == 0 }
            #expect(await reader.value)
        }
    }

    @Test func withAppendfsyncAlwaysABatchIsInTheLogBeforeItsRepliesAndTakesOneAppend() async throws {
        try await withStore(.always) { harness in
            let count = 200
            let marker = UUID().uuidString
            let values = (0..<count).map { "value-\($0)-\(marker)" }
            let appendsBefore = await harness.store.appendCount
            _ = await harness.store.receive(
                bytes: pipeline((0..<count).map { ["SET", "batch:\($0)", values[$0]] }), connection: harness.connection)
            let answers = try await replies(count, harness)
            #expect(answers == Array(repeating: RESPValue.ok, count: count))
            // The replies are out: every record is in the log's files now
            // (written, and with `always` synced, before any reply left).
            let logDirectory = harness.directory + "/" + StoreLog.directoryName
            var logBytes: [UInt8] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: logDirectory) {
                logBytes += Array(FileManager.default.contents(atPath: logDirectory + "/" + name) ?? Data())
            }
            let logText = String(decoding: logBytes, as: UTF8.self)
            let missing = values.filter { !logText.contains($0) }
            #expect(missing.isEmpty, "\(missing.count) acknowledged values not in the log, the first \(missing.first ?? "")")
            // One read, one step: the 200 writes took one append (a tick
            // between the bytes and the step could add one of its own).
            let appends = await harness.store.appendCount - appendsBefore
            #expect(appends >= 1 && appends <= 2, "\(appends) log appends for one pipeline of \(count) writes")
        }
    }
}
