extension ZooKeeper.Server {
    /// This server became the leader (or runs alone): it tracks every
    /// session's expiry from now, each with a full timeout.
    public mutating func onBecameLeader(nowMilliseconds: Int64, standalone: Bool = false) {
        role = standalone ? .standalone : .leader
        self.nowMilliseconds = max(self.nowMilliseconds, nowMilliseconds)
        expiry = ZooKeeper.SessionExpiry(sessions: state.sessions.values.sorted { $0.id < $1.id }, nowMilliseconds: self.nowMilliseconds)
        lastContainerCheckMilliseconds = self.nowMilliseconds
    }

    /// This server follows another leader: it stops deciding expiries.
    public mutating func onBecameFollower() {
        role = .follower
        expiry = nil
    }

    /// Time passed. On the leader: proposes closing every session whose
    /// timeout passed without a sign of life, and, every
    /// `containerCheckIntervalMilliseconds`, deleting empty containers and
    /// expired TTL nodes.
    public mutating func onTick(nowMilliseconds: Int64) -> [ZooKeeper.ServerEffect] {
        self.nowMilliseconds = max(self.nowMilliseconds, nowMilliseconds)
        guard expiry != nil else { return [] }
        var effects: [ZooKeeper.ServerEffect] = []
        for session in expiry!.expire(nowMilliseconds: self.nowMilliseconds) {
            guard state.sessions[session] != nil else {
                expiry!.remove(session)
                continue
            }
            effects.append(.propose(ZooKeeper.Proposal(
                origin: ZooKeeper.Origin(server: serverID, tag: 0), command: .closeSession(sessionID: session, reason: .expired))))
        }
        if self.nowMilliseconds - lastContainerCheckMilliseconds >= configuration.containerCheckIntervalMilliseconds {
            lastContainerCheckMilliseconds = self.nowMilliseconds
            for path in state.deletableContainers(atMilliseconds: self.nowMilliseconds, limit: configuration.containerDeletionsPerCheckMax) {
                effects.append(.propose(ZooKeeper.Proposal(origin: ZooKeeper.Origin(server: serverID, tag: 0), command: .deleteContainer(path: path))))
            }
        }
        return effects
    }

    /// The sessions whose clients showed a sign of life here since the last
    /// call, in id order: a follower sends them to the leader (which passes
    /// them to ``onSessionsTouched(_:)``), as ZooKeeper's learners do with
    /// their pings.
    public mutating func takeTouchedSessions() -> [Int64] {
        defer { touched = [] }
        return touched.sorted()
    }

    /// On the leader: sessions a follower's clients showed signs of life for.
    public mutating func onSessionsTouched(_ sessions: [Int64]) {
        guard expiry != nil else { return }
        for session in sessions { expiry!.touch(session, nowMilliseconds: nowMilliseconds) }
    }

    /// The leader's expiry deadline of a session, if it tracks it.
    public func expiryDeadline(of session: Int64) -> Int64? {
        expiry?.deadline(of: session)
    }
}
