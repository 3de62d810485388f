import ConcordFoundation

extension ZooKeeper {
    /// One ZooKeeper server: its replica of the state machine, its client
    /// connections with their pending requests, and its watches, as a value
    /// a shell drives (the NIO listener at runtime, a simulated network in
    /// tests).
    ///
    /// Inputs: bytes from a client (``onBytes(_:_:)``), a closed connection
    /// (``onDisconnected(_:)``), a committed transaction (``onCommitted(_:)``),
    /// time (``onTick(nowMilliseconds:)``) and leadership changes. Each
    /// returns the ``ZooKeeper/ServerEffect``s to perform, in order.
    ///
    /// Guarantees it keeps, as ZooKeeper does:
    /// - Each connection's answers leave in the order its requests arrived.
    ///   Reads are answered from this replica when they reach the head of
    ///   the queue; writes when this replica applies them.
    /// - A client never goes back in zxid: a connect from a client that has
    ///   seen a newer zxid than this replica is refused (the client tries
    ///   another server), and every reply carries this replica's zxid at the
    ///   moment it is sent.
    /// - Watch events of a transaction are sent when the transaction is
    ///   applied, before any answer that could show its effect.
    public struct Server: Sendable {
        /// This server's member id; the origin of its proposals.
        public let serverID: UInt64
        public let configuration: ServerConfiguration
        /// This server's replica.
        public internal(set) var state: StateMachine
        /// This server's watches.
        public internal(set) var watches: WatchTable
        /// Leader, follower or standalone.
        public internal(set) var role: ServerRole
        var connections: [UInt64: ClientConnection] = [:]
        var sessionConnection: [Int64: UInt64] = [:]
        /// Proposal tag → the connection waiting for it.
        var waiting: [UInt64: UInt64] = [:]
        var nextTag: UInt64 = 1
        var random: SeededRandom
        /// The leader's expiry tracker; nil on a follower.
        var expiry: SessionExpiry?
        var touched: Set<Int64> = []
        var nowMilliseconds: Int64 = 0
        var lastContainerCheckMilliseconds: Int64 = 0
        var packetsReceived = 0
        var packetsSent = 0
        let sha1: @Sendable ([UInt8]) -> [UInt8]

        /// A server, following until ``onBecameLeader(nowMilliseconds:standalone:)``.
        /// - Parameters:
        ///   - serverID: its member id.
        ///   - state: its replica (restored from a snapshot, or empty).
        ///   - random: the seeded generator session ids and passwords come from.
        ///   - sha1: SHA-1, for digest authentication; the core has none of its own.
        public init(
            serverID: UInt64, configuration: ServerConfiguration = ServerConfiguration(),
            state: StateMachine? = nil, random: SeededRandom, sha1: @escaping @Sendable ([UInt8]) -> [UInt8]
        ) {
            self.serverID = serverID
            self.configuration = configuration
            self.state = state ?? StateMachine(limits: configuration.limits)
            self.watches = WatchTable()
            self.role = .follower
            self.random = random
            self.sha1 = sha1
        }

        /// The number of open client connections.
        public var connectionCount: Int { connections.count }

        /// The session a connection serves, once established.
        public func session(of connection: UInt64) -> Int64? { connections[connection]?.sessionID }

        /// The connection serving a session on this server, if any.
        public func connection(of session: Int64) -> UInt64? { sessionConnection[session] }

        // MARK: - Connections

        /// A client connected (optional: the first bytes open the connection
        /// too); `remoteAddress` is what `stat` lists.
        public mutating func onConnected(_ connection: UInt64, remoteAddress: String) {
            guard connections[connection] == nil else { return }
            connections[connection] = ClientConnection(frameBytesMax: configuration.frameBytesMax, remoteAddress: remoteAddress)
        }

        /// Bytes arrived from a client.
        public mutating func onBytes(_ connection: UInt64, _ bytes: [UInt8]) -> [ServerEffect] {
            if connections[connection] == nil { onConnected(connection, remoteAddress: "/unknown:0") }
            connections[connection]!.decoder.append(bytes)
            var effects: [ServerEffect] = []
            while connections[connection] != nil {
                let frame: Frame?
                do {
                    frame = try connections[connection]!.decoder.next()
                } catch {
                    close(connection, &effects)
                    break
                }
                guard let frame else { break }
                packetsReceived += 1
                connections[connection]!.received += 1
                switch frame {
                case .fourLetterWord(let word):
                    let text = word.respond(statistics(mode: nil))
                    send(connection, Array(text.utf8), &effects)
                    close(connection, &effects)
                case .message(let body):
                    handleMessage(connection, body, &effects)
                }
            }
            return effects
        }

        /// A client's connection closed. Its session lives on until it
        /// expires or the client reconnects; its watches on this server go.
        public mutating func onDisconnected(_ connection: UInt64) {
            forget(connection)
        }

        /// The leader's tag for a proposal that will never commit (lost in a
        /// leadership change): the connection waiting on it is closed, and
        /// its client reconnects and retries, as with ZooKeeper.
        public mutating func onProposalLost(tag: UInt64) -> [ServerEffect] {
            guard let connection = waiting[tag] else { return [] }
            var effects: [ServerEffect] = []
            close(connection, &effects)
            return effects
        }

        // MARK: - Statistics

        /// What the four-letter words report; `mode` overrides the role's name.
        public func statistics(mode: String?) -> ServerStatistics {
            var statistics = ServerStatistics(version: configuration.version, mode: mode ?? role.rawValue)
            statistics.packetsReceived = packetsReceived
            statistics.packetsSent = packetsSent
            statistics.connections = connections.keys.sorted().map { id in
                let connection = connections[id]!
                return ServerStatistics.Connection(
                    remoteAddress: connection.remoteAddress, queued: connection.queue.count,
                    received: connection.received, sent: connection.sent)
            }
            statistics.outstandingRequests = connections.values.reduce(0) { $0 + $1.queue.count }
            statistics.lastZxid = state.lastZxid
            statistics.nodeCount = state.tree.nodeCount
            statistics.watchCount = watches.count
            statistics.ephemeralsCount = state.tree.ephemerals.values.reduce(0) { $0 + $1.count }
            statistics.approximateDataBytes = state.tree.approximateDataBytes
            statistics.sessionCount = state.sessions.count
            statistics.configuration.tickMilliseconds = configuration.tickMilliseconds
            statistics.configuration.sessionTimeoutMinimumMilliseconds = configuration.sessionTimeoutMinimumMilliseconds
            statistics.configuration.sessionTimeoutMaximumMilliseconds = configuration.sessionTimeoutMaximumMilliseconds
            statistics.configuration.serverID = serverID
            statistics.configuration.clientPort = configuration.clientPort
            statistics.configuration.dataDirectory = configuration.dataDirectory
            return statistics
        }

        // MARK: - Shared helpers

        mutating func send(_ connection: UInt64, _ bytes: [UInt8], _ effects: inout [ServerEffect]) {
            packetsSent += 1
            connections[connection]?.sent += 1
            effects.append(.send(connection: connection, bytes: bytes))
        }

        /// Closes a connection: forgets it and tells the shell.
        mutating func close(_ connection: UInt64, _ effects: inout [ServerEffect]) {
            guard connections[connection] != nil else { return }
            forget(connection)
            effects.append(.close(connection: connection))
        }

        /// Drops a connection's state: its waiting proposals (their outcomes
        /// will find nobody) and its session's watches on this server.
        mutating func forget(_ connection: UInt64) {
            guard let removed = connections.removeValue(forKey: connection) else { return }
            for pending in removed.queue {
                if case .waitingForLog(let tag) = pending.work { waiting[tag] = nil }
            }
            if case .connecting(let tag) = removed.phase { waiting[tag] = nil }
            if let session = removed.sessionID, sessionConnection[session] == connection {
                sessionConnection[session] = nil
                watches.removeSession(session)
            }
        }

        /// A fresh tag for a proposal a connection waits on.
        mutating func tag(for connection: UInt64) -> UInt64 {
            let tag = nextTag
            nextTag += 1
            waiting[tag] = connection
            return tag
        }

        /// A client's sign of life, for the leader's expiry decisions.
        mutating func touch(_ session: Int64) {
            if expiry != nil {
                expiry!.touch(session, nowMilliseconds: nowMilliseconds)
            } else {
                touched.insert(session)
            }
        }
    }
}
