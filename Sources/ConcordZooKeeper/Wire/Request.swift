extension ZooKeeper {
    /// A client's request after the connect, by what it does.
    public enum Request: Sendable, Hashable {
        /// A change to the tree, ordered through the log.
        case write(WriteRequest)
        /// A read answered from the connected server's replica.
        case read(ReadRequest)
        /// Waits until the connected server has applied everything committed
        /// before, then answers with the path.
        case sync(path: String)
        /// Keeps the session alive (xid -2).
        case ping
        /// Ends the session.
        case closeSession
        /// Re-registers watches after a reconnect (xid -8).
        case setWatches(SetWatches)
        /// Sets a persistent or persistent-recursive watch.
        case addWatch(path: String, mode: AddWatchMode)
        /// Fails with NOWATCHER unless the session has such a watch on the path.
        case checkWatches(path: String, type: WatcherType)
        /// Removes the session's watches of a type on the path (NOWATCHER if none).
        case removeWatches(path: String, type: WatcherType)
        /// Proves an identity for the connection (xid -4; jute `AuthPacket`).
        case authenticate(scheme: String, credential: [UInt8])

        /// The op code that carries the request.
        public var opCode: OpCode {
            switch self {
            case .write(let write): write.opCode
            case .read(let read): read.opCode
            case .sync: .sync
            case .ping: .ping
            case .closeSession: .closeSession
            case .setWatches(let watches): watches.isVersion2 ? .setWatches2 : .setWatches
            case .addWatch: .addWatch
            case .checkWatches: .checkWatches
            case .removeWatches: .removeWatches
            case .authenticate: .auth
            }
        }
    }
}
