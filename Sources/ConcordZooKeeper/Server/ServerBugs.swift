extension ZooKeeper {
    /// Known bugs a test can switch on in a server, each breaking one of
    /// ZooKeeper's guarantees, so that the checkers can be shown to catch it.
    public struct ServerBugs: Sendable, Hashable {
        /// Answer a reconnecting client at once from this replica's own
        /// session table: without refusing a client that has seen a newer
        /// zxid, and without waiting for the reattachment to come back
        /// through the log (which would bring the replica up to date). A
        /// replica that is behind then serves the client an older state
        /// (breaks "a client never goes back in zxid after a reconnect").
        public var acceptsClientsAhead = false
        /// Send a watch event only after the responses that follow the
        /// change (breaks "a client sees the watch event before the new data").
        public var deliversWatchEventsLate = false

        public init(acceptsClientsAhead: Bool = false, deliversWatchEventsLate: Bool = false) {
            self.acceptsClientsAhead = acceptsClientsAhead
            self.deliversWatchEventsLate = deliversWatchEventsLate
        }
    }
}
