extension ZooKeeper {
    /// A server's part in the cluster, for expiry decisions and `srvr`.
    public enum ServerRole: String, Sendable, Hashable {
        /// Decides session expiry and container deletion.
        case leader
        case follower
        /// The only member: it leads.
        case standalone
    }
}
