extension ZooKeeper {
    /// The leader's view of when each session expires (ZooKeeper's
    /// `SessionTracker`). It is local, not replicated: the leader decides
    /// that a session expired and proposes a close through the log, so every
    /// replica deletes the session's ephemeral nodes at the same point.
    ///
    /// A new leader gives every session a full timeout from the moment it
    /// takes over (it cannot know when followers last heard from clients),
    /// as ZooKeeper's new leaders do. A session proposed for closing is not
    /// touched any more; if its close has not been applied after another
    /// timeout (a lost proposal), it is proposed again.
    public struct SessionExpiry: Sendable {
        private var deadlines: [Int64: Int64] = [:]
        private var timeouts: [Int64: Int64] = [:]
        private var closing: Set<Int64> = []

        /// Tracks `sessions`, each with a full timeout from `nowMilliseconds`.
        public init(sessions: some Sequence<Session>, nowMilliseconds: Int64) {
            for session in sessions { track(session, nowMilliseconds: nowMilliseconds) }
        }

        /// The number of sessions tracked.
        public var count: Int { deadlines.count }

        /// The deadline of a tracked session.
        public func deadline(of session: Int64) -> Int64? { deadlines[session] }

        /// Starts tracking a session (created or reattached), with a full timeout.
        public mutating func track(_ session: Session, nowMilliseconds: Int64) {
            timeouts[session.id] = Int64(session.timeoutMilliseconds)
            deadlines[session.id] = nowMilliseconds + Int64(session.timeoutMilliseconds)
            closing.remove(session.id)
        }

        /// A sign of life from the session's client: its deadline moves to a
        /// full timeout from now (unless it is being closed).
        public mutating func touch(_ session: Int64, nowMilliseconds: Int64) {
            guard let timeout = timeouts[session], !closing.contains(session) else { return }
            deadlines[session] = max(deadlines[session] ?? 0, nowMilliseconds + timeout)
        }

        /// Stops tracking a session that ended.
        public mutating func remove(_ session: Int64) {
            deadlines[session] = nil
            timeouts[session] = nil
            closing.remove(session)
        }

        /// The sessions whose deadline has passed, in id order; each is
        /// marked closing, with its deadline moved a timeout ahead in case
        /// the close is lost.
        public mutating func expire(nowMilliseconds: Int64) -> [Int64] {
            let expired = deadlines.filter { $0.value <= nowMilliseconds }.keys.sorted()
            for session in expired {
                closing.insert(session)
                deadlines[session] = nowMilliseconds + (timeouts[session] ?? 0)
            }
            return expired
        }
    }
}
