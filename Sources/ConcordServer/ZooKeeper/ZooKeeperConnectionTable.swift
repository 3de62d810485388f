import Synchronization

/// Where one ZooKeeper connection's bytes go: its socket
/// (`ZooKeeperChannelOutput`), or a test's record. Calls come from the
/// member's actor, in order.
protocol ZooKeeperConnectionOutput: Sendable {
    /// Writes `bytes` after everything written before. Once they have
    /// reached the socket (or failed to), the output takes them from the
    /// connection's ``ZooKeeperConnectionTable/QueuedBytes``.
    func write(_ bytes: [UInt8])
    /// Closes the connection once everything written before has reached
    /// the socket.
    func close()
}

/// The ZooKeeper connections of one member, as the node's actor keeps
/// them: each connection's output, the bytes handed to it and not yet
/// written, and its reader when the reader waits for room. It decides
/// nothing about the protocol: the server core says what to send and when
/// to close; the table only performs it in order and tells the reader when
/// to stop reading.
///
/// The count of a connection's queued bytes is shared with its output
/// (``QueuedBytes``): the output takes what reached the socket from it
/// without a hop to the member, and calls on the member (``roomFreed(_:)``)
/// only when that lets a waiting reader go on.
///
/// Ids are unique per member for the life of the process (a counter that
/// never goes back), so a late effect for a closed connection never
/// reaches a new one.
struct ZooKeeperConnectionTable {
    /// Bytes of one connection handed to its output and not written yet:
    /// added to by the member, taken from by the output.
    final class QueuedBytes: Sendable {
        private let count = Atomic<Int>(0)

        var value: Int { count.load(ordering: .acquiring) }

        func add(_ bytes: Int) {
            count.add(bytes, ordering: .releasing)
        }

        /// Takes `bytes` written; true when that frees room for a reader
        /// (the count falls from above ``queuedBytesMax`` to it or below).
        func written(_ bytes: Int) -> Bool {
            let (before, after) = count.subtract(bytes, ordering: .acquiringAndReleasing)
            return before > ZooKeeperConnectionTable.queuedBytesMax && after <= ZooKeeperConnectionTable.queuedBytesMax
        }
    }

    private struct Connection {
        let output: any ZooKeeperConnectionOutput
        let queued: QueuedBytes
        var readerWaiting: CheckedContinuation<Void, Never>?
        var closed = false
    }

    /// The most bytes of one connection waiting to be written before its
    /// reader stops reading: a client that does not read its answers stops
    /// its own requests.
    static let queuedBytesMax = 4 << 20

    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 1

    /// The number of connections open.
    var count: Int { connections.count }

    /// The number of readers waiting for room.
    var waitingReaders: Int { connections.values.count(where: { $0.readerWaiting != nil }) }

    /// Opens a connection whose bytes go to the output `makeOutput` makes
    /// from the connection's id and its count of queued bytes.
    /// - Returns: the connection's id.
    mutating func open(_ makeOutput: (UInt64, QueuedBytes) -> any ZooKeeperConnectionOutput) -> UInt64 {
        let id = nextID
        nextID += 1
        let queued = QueuedBytes()
        connections[id] = Connection(output: makeOutput(id, queued), queued: queued)
        return id
    }

    /// True while `id` is open and not closing.
    func isOpen(_ id: UInt64) -> Bool { connections[id].map { !$0.closed } ?? false }

    /// Writes `bytes` to connection `id` (nothing for a closed one).
    /// - Returns: the number of bytes handed to its output.
    @discardableResult
    mutating func send(_ bytes: [UInt8], to id: UInt64) -> Int {
        guard let connection = connections[id], !connection.closed, !bytes.isEmpty else { return 0 }
        connection.queued.add(bytes.count)
        connection.output.write(bytes)
        return bytes.count
    }

    /// Closes connection `id` once what was sent before has been written.
    mutating func close(_ id: UInt64) {
        guard let connection = connections[id], !connection.closed else { return }
        connections[id]!.closed = true
        connection.output.close()
        wakeReader(id)
    }

    /// The output of connection `id` freed room (``QueuedBytes/written(_:)``
    /// said so): a reader waiting for it may go on.
    mutating func roomFreed(_ id: UInt64) {
        wakeReader(id)
    }

    /// True while the reader of `id` must wait before reading more.
    func mustWait(_ id: UInt64) -> Bool {
        guard let connection = connections[id], !connection.closed else { return false }
        return connection.queued.value > Self.queuedBytesMax
    }

    /// Records the waiting reader of `id`; it is resumed when there is room
    /// or the connection closes.
    mutating func wait(_ id: UInt64, _ continuation: CheckedContinuation<Void, Never>) {
        guard connections[id] != nil, mustWait(id) else {
            continuation.resume()
            return
        }
        connections[id]!.readerWaiting = continuation
    }

    /// Forgets connection `id` (its socket is gone); nothing more is
    /// written to it.
    /// - Returns: true if it was open.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        guard let connection = connections.removeValue(forKey: id) else { return false }
        connection.readerWaiting?.resume()
        return true
    }

    /// Closes every connection (the member stops).
    mutating func closeAll() {
        for id in Array(connections.keys) { close(id) }
    }

    private mutating func wakeReader(_ id: UInt64) {
        guard let waiting = connections[id]?.readerWaiting, !mustWait(id) else { return }
        connections[id]!.readerWaiting = nil
        waiting.resume()
    }
}
