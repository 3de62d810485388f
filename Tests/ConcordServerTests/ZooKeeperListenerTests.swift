@testable import ConcordServer
import Synchronization
import Testing

/// The listener's bookkeeping without sockets: ids, order, backpressure,
/// closes, and the URL form of `--listen-zookeeper-urls`.
struct ZooKeeperListenerTests {
    /// An output that records what the member wrote and closed, in order.
    private final class Recording: ZooKeeperConnectionOutput {
        enum Item: Equatable { case bytes([UInt8]), close }
        private let record = Mutex<[Item]>([])
        var items: [Item] { record.withLock { $0 } }
        func write(_ bytes: [UInt8]) { record.withLock { $0.append(.bytes(bytes)) } }
        func close() { record.withLock { $0.append(.close) } }
    }

    /// Opens a connection on `table` whose output is a fresh record.
    private func open(_ table: inout ZooKeeperConnectionTable) -> (id: UInt64, output: Recording, queued: ZooKeeperConnectionTable.QueuedBytes) {
        let output = Recording()
        var queued: ZooKeeperConnectionTable.QueuedBytes?
        let id = table.open { _, count in
            queued = count
            return output
        }
        return (id, output, queued!)
    }

    @Test func connectionIdsAreNeverReused() {
        var table = ZooKeeperConnectionTable()
        let first = open(&table).id
        table.remove(first)
        let second = open(&table).id
        let third = open(&table).id
        #expect(first != second && second != third && first != third)
        #expect(table.count == 2)
    }

    @Test func sendsAndTheCloseArriveInOrderAndNothingAfterTheClose() {
        var table = ZooKeeperConnectionTable()
        let (id, output, queued) = open(&table)
        #expect(table.send([1, 2], to: id) == 2)
        #expect(table.send([3], to: id) == 1)
        #expect(queued.value == 3, "what the output has not written yet")
        table.close(id)
        table.close(id)
        #expect(table.send([4], to: id) == 0)
        #expect(!table.isOpen(id))
        #expect(output.items == [.bytes([1, 2]), .bytes([3]), .close])
    }

    @Test func effectsForAnotherOrAGoneConnectionAreDropped() {
        var table = ZooKeeperConnectionTable()
        let (a, outputA, _) = open(&table)
        let (b, outputB, _) = open(&table)
        table.send([9], to: b)
        table.remove(b)
        table.send([8], to: b)
        table.close(b)
        table.send([7], to: a)
        table.close(a)
        #expect(outputA.items == [.bytes([7]), .close])
        #expect(outputB.items == [.bytes([9])])
    }

    @Test func theReaderWaitsWhileTooMuchIsQueuedAndResumesWhenWritten() {
        var table = ZooKeeperConnectionTable()
        let (id, _, queued) = open(&table)
        table.send([UInt8](repeating: 0, count: ZooKeeperConnectionTable.queuedBytesMax), to: id)
        #expect(!table.mustWait(id))
        table.send([0], to: id)
        #expect(table.mustWait(id))
        #expect(queued.written(1), "the write that brings the queue back to the limit frees room")
        #expect(!table.mustWait(id))
        #expect(!queued.written(1), "below the limit no reader waits for room")
        table.send([0, 0, 0], to: id)
        #expect(table.mustWait(id))
        table.close(id)
        #expect(!table.mustWait(id), "a closing connection's reader stops waiting")
    }

    /// The member's side of connections, as `ConcordNode` keeps it: a
    /// reader waits while its queue is over the limit; the output's count
    /// says when a write frees room.
    private actor Member {
        private var table = ZooKeeperConnectionTable()
        private(set) var readerWentOn = false

        func open() -> (id: UInt64, queued: ZooKeeperConnectionTable.QueuedBytes) {
            var queued: ZooKeeperConnectionTable.QueuedBytes?
            let id = table.open { _, count in
                queued = count
                return Recording()
            }
            return (id, queued!)
        }
        func send(_ count: Int, to id: UInt64) { table.send([UInt8](repeating: 0, count: count), to: id) }
        func roomFreed(_ id: UInt64) { table.roomFreed(id) }
        var waitingReaders: Int { table.waitingReaders }

        func read(_ id: UInt64) async {
            while table.mustWait(id) {
                await withCheckedContinuation { table.wait(id, $0) }
            }
            readerWentOn = true
        }
    }

    @Test func aWaitingReaderGoesOnOnceItsOutputFreesRoomAndNotBefore() async throws {
        let member = Member()
        let (id, queued) = await member.open()
        await member.send(ZooKeeperConnectionTable.queuedBytesMax + 2, to: id)
        let reader = Task { await member.read(id) }
        try await waitUntil("the reader waits for room", seconds: 30) { await member.waitingReaders == 1 }
        // One byte written: still over the limit; the output has no reason
        // to call on the member, and a call would change nothing.
        #expect(!queued.written(1))
        await member.roomFreed(id)
        #expect(await member.waitingReaders == 1)
        #expect(await !member.readerWentOn)
        // The next write brings the queue to the limit: the output says so.
        #expect(queued.written(1))
        await member.roomFreed(id)
        await reader.value
        #expect(await member.readerWentOn)
        #expect(await member.waitingReaders == 0)
    }

    @Test func zooKeeperURLs() throws {
        #expect(try Endpoint.parseZooKeeper("zk://127.0.0.1:2181") == Endpoint(host: "127.0.0.1", port: 2181))
        #expect(try Endpoint.parseZooKeeper("localhost:2182") == Endpoint(host: "localhost", port: 2182))
        #expect(try Endpoint.parseZooKeeper("zk://[::1]:2183") == Endpoint(host: "::1", port: 2183))
        #expect(try Endpoint.parseZooKeeper("zks://127.0.0.1:2181") == Endpoint(host: "127.0.0.1", port: 2181, usesTLS: true))
        for bad in ["http://127.0.0.1:2181", "zks://127.0.0.1", "zk://127.0.0.1", "zk://:2181", "zk://h:70000", "zk://h:2181/chroot"] {
            #expect(throws: ServerConfigurationError.self, "\(bad)") { try Endpoint.parseZooKeeper(bad) }
        }
    }
}
