extension ZooKeeper.Server {
    /// This server's replica was replaced by a snapshot (the leader sent one
    /// because this member fell too far behind): every connection is
    /// closed, since its watches and waiting requests may concern
    /// transactions this server will never apply one by one. Clients
    /// reconnect (here or elsewhere); the replica only moved forward, so
    /// none of them is refused for having seen a newer zxid than it holds.
    /// Proposal tags keep counting, so an answer for an old tag never
    /// reaches a new request; a leader re-arms every session's expiry.
    /// - Returns: the `.close` effects, one per connection, in id order.
    public mutating func onSnapshotInstalled(_ restored: ZooKeeper.StateMachine) -> [ZooKeeper.ServerEffect] {
        var effects: [ZooKeeper.ServerEffect] = []
        for connection in connections.keys.sorted() { close(connection, &effects) }
        waiting = [:]
        sessionConnection = [:]
        watches = ZooKeeper.WatchTable()
        touched = []
        state = restored
        if expiry != nil {
            expiry = ZooKeeper.SessionExpiry(sessions: state.sessions.values.sorted { $0.id < $1.id }, nowMilliseconds: nowMilliseconds)
        }
        return effects
    }
}
