/// The ZooKeeper connections of one member, as the node's actor keeps
/// them: each connection's outbound queue (what its writer task writes, in
/// order), the bytes queued and not yet written, and its reader when the
/// reader waits for room. It decides nothing about the protocol: the
/// server core says what to send and when to close; the table only
/// performs it in order and tells the reader when to stop reading.
///
/// Ids are unique per member for the life of the process (a counter that
/// never goes back), so a late effect for a closed connection never
/// reaches a new one.
struct ZooKeeperConnectionTable {
    /// What a connection's writer task is given, in order.
    enum Outbound: Sendable, Equatable {
        /// Bytes to write.
        case bytes([UInt8])
        /// Close the connection (after the bytes before it).
        case close
    }

    private struct Connection {
        let outbound: AsyncStream<Outbound>.Continuation
        var queuedBytes = 0
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

    /// Opens a connection.
    /// - Returns: its id, and the sequence its writer task writes out.
    mutating func open() -> (id: UInt64, outbound: AsyncStream<Outbound>) {
        let id = nextID
        nextID += 1
        let (stream, continuation) = AsyncStream<Outbound>.makeStream()
        connections[id] = Connection(outbound: continuation)
        return (id, stream)
    }

    /// True while `id` is open and not closing.
    func isOpen(_ id: UInt64) -> Bool { connections[id].map { !$0.closed } ?? false }

    /// Queues `bytes` for connection `id` (nothing for a closed one).
    /// - Returns: the number of bytes queued.
    @discardableResult
    mutating func send(_ bytes: [UInt8], to id: UInt64) -> Int {
        guard let connection = connections[id], !connection.closed, !bytes.isEmpty else { return 0 }
        connections[id]!.queuedBytes += bytes.count
        connection.outbound.yield(.bytes(bytes))
        return bytes.count
    }

    /// Closes connection `id` once what is queued before has been written.
    mutating func close(_ id: UInt64) {
        guard let connection = connections[id], !connection.closed else { return }
        connections[id]!.closed = true
        connection.outbound.yield(.close)
        connection.outbound.finish()
        wakeReader(id)
    }

    /// The writer of connection `id` wrote `count` bytes.
    mutating func wrote(_ count: Int, connection id: UInt64) {
        guard connections[id] != nil else { return }
        connections[id]!.queuedBytes -= count
        wakeReader(id)
    }

    /// True while the reader of `id` must wait before reading more.
    func mustWait(_ id: UInt64) -> Bool {
        guard let connection = connections[id], !connection.closed else { return false }
        return connection.queuedBytes > Self.queuedBytesMax
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

    /// Forgets connection `id` (its socket is gone); what was queued is dropped.
    /// - Returns: true if it was open.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        guard let connection = connections.removeValue(forKey: id) else { return false }
        connection.readerWaiting?.resume()
        connection.outbound.finish()
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
