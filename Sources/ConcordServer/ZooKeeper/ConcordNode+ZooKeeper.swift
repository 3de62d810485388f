import ConcordServerCore

/// The member's side of the ZooKeeper listener: connections go to the
/// server core's ZooKeeper face (`onZooKeeperConnected`, `onZooKeeperBytes`,
/// `onZooKeeperDisconnected`) and its `ZooKeeperEffect`s come back through
/// `perform(_:)`, in order, to ``zooKeeperConnections``.
extension ConcordNode: ZooKeeperConnectionHost {
    func openZooKeeperConnection(
        remoteAddress: String, output makeOutput: @Sendable (UInt64, ZooKeeperConnectionTable.QueuedBytes) -> any ZooKeeperConnectionOutput
    ) -> UInt64? {
        guard !isStopped else { return nil }
        guard zooKeeperConnections.count < configuration.clientConnectionsMax else {
            metrics.zooKeeperConnectionsRefused.increment()
            return nil
        }
        let id = zooKeeperConnections.open(makeOutput)
        metrics.zooKeeperConnections.record(Int64(zooKeeperConnections.count))
        perform(core.onZooKeeperConnected(id, remoteAddress: remoteAddress, nowMilliseconds: nowMilliseconds))
        return id
    }

    func receiveZooKeeperBytes(_ bytes: [UInt8], connection id: UInt64) async -> Bool {
        guard !isStopped, zooKeeperConnections.isOpen(id) else { return false }
        metrics.zooKeeperBytesReceived.increment(by: Int64(bytes.count))
        perform(core.onZooKeeperBytes(id, bytes, nowMilliseconds: nowMilliseconds))
        while zooKeeperConnections.mustWait(id) {
            await withCheckedContinuation { zooKeeperConnections.wait(id, $0) }
        }
        return zooKeeperConnections.isOpen(id)
    }

    func zooKeeperRoomFreed(connection id: UInt64) {
        zooKeeperConnections.roomFreed(id)
    }

    func closedZooKeeperConnection(_ id: UInt64) {
        guard zooKeeperConnections.remove(id) else { return }
        metrics.zooKeeperConnections.record(Int64(zooKeeperConnections.count))
        guard !isStopped else { return }
        perform(core.onZooKeeperDisconnected(id, nowMilliseconds: nowMilliseconds))
    }

    /// Performs the core's ZooKeeper effects, in order.
    func performZooKeeper(_ effects: [ZooKeeperEffect]) {
        for effect in effects {
            switch effect {
            case .send(let connection, let bytes):
                metrics.zooKeeperBytesSent.increment(by: Int64(zooKeeperConnections.send(bytes, to: connection)))
            case .close(let connection):
                zooKeeperConnections.close(connection)
            }
        }
    }
}
