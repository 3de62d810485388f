@testable import ConcordServer
import Testing

/// The listener's bookkeeping without sockets: ids, order, backpressure,
/// closes, and the URL form of `--listen-zookeeper-urls`.
struct ZooKeeperListenerTests {
    private func drain(_ stream: AsyncStream<ZooKeeperConnectionTable.Outbound>) async -> [ZooKeeperConnectionTable.Outbound] {
        var items: [ZooKeeperConnectionTable.Outbound] = []
        for await item in stream { items.append(item) }
        return items
    }

    @Test func connectionIdsAreNeverReused() {
        var table = ZooKeeperConnectionTable()
        let first = table.open().id
        table.remove(first)
        let second = table.open().id
        let third = table.open().id
        #expect(first != second && second != third && first != third)
        #expect(table.count == 2)
    }

    @Test func sendsAndTheCloseArriveInOrderAndNothingAfterTheClose() async {
        var table = ZooKeeperConnectionTable()
        let (id, outbound) = table.open()
        #expect(table.send([1, 2], to: id) == 2)
        #expect(table.send([3], to: id) == 1)
        table.close(id)
        #expect(table.send([4], to: id) == 0)
        #expect(!table.isOpen(id))
        #expect(await drain(outbound) == [.bytes([1, 2]), .bytes([3]), .close])
    }

    @Test func effectsForAnotherOrAGoneConnectionAreDropped() async {
        var table = ZooKeeperConnectionTable()
        let (a, outboundA) = table.open()
        let (b, outboundB) = table.open()
        table.send([9], to: b)
        table.remove(b)
        table.send([8], to: b)
        table.close(b)
        table.send([7], to: a)
        table.close(a)
        #expect(await drain(outboundA) == [.bytes([7]), .close])
        #expect(await drain(outboundB) == [.bytes([9])])
    }

    @Test func theReaderWaitsWhileTooMuchIsQueuedAndResumesWhenWritten() {
        var table = ZooKeeperConnectionTable()
        let (id, _) = table.open()
        table.send([UInt8](repeating: 0, count: ZooKeeperConnectionTable.queuedBytesMax), to: id)
        #expect(!table.mustWait(id))
        table.send([0], to: id)
        #expect(table.mustWait(id))
        table.wrote(1, connection: id)
        #expect(!table.mustWait(id))
        table.send([0, 0], to: id)
        #expect(table.mustWait(id))
        table.close(id)
        #expect(!table.mustWait(id), "a closing connection's reader stops waiting")
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
