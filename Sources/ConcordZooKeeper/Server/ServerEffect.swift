extension ZooKeeper {
    /// What a server asks its shell to do.
    public enum ServerEffect: Sendable, Hashable {
        /// Write these bytes (whole frames, or a four-letter word's text) to the connection.
        case send(connection: UInt64, bytes: [UInt8])
        /// Close the connection once what was sent before is written. The
        /// server has already forgotten it.
        case close(connection: UInt64)
        /// Order this proposal through the log (forwarding it to the leader,
        /// who stamps its time); the shell hands the committed transaction
        /// to ``ZooKeeper/Server/onCommitted(_:)`` on every server. A
        /// server's proposals must reach the log in the order it made them.
        case propose(Proposal)
    }
}
