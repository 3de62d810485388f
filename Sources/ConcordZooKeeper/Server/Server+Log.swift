extension ZooKeeper.Server {
    /// A transaction the log committed, in log order (every server applies
    /// every transaction, whoever proposed it).
    ///
    /// Effects, in this order: the transaction's watch events to the
    /// sessions connected here; the session changes (a session attached
    /// elsewhere or ended loses its connection here); the answer to the
    /// request that proposed it, if it came from here, followed by what was
    /// queued behind that request.
    public mutating func onCommitted(_ transaction: ZooKeeper.Transaction) -> [ZooKeeper.ServerEffect] {
        let applied = state.apply(transaction)
        var effects: [ZooKeeper.ServerEffect] = []
        deliverEvents(applied.triggers, &effects)
        if let session = applied.attachedSession { attach(session, applied, &effects) }
        for session in applied.endedSessions { end(session, applied, &effects) }
        if applied.origin.server == serverID, applied.origin.tag != 0, let connection = waiting.removeValue(forKey: applied.origin.tag) {
            complete(connection, tag: applied.origin.tag, applied.outcome, &effects)
        }
        return effects
    }

    /// Sends each event to its session's connection here (or holds it, with
    /// the late-delivery bug).
    private mutating func deliverEvents(_ triggers: [ZooKeeper.WatchTrigger], _ effects: inout [ZooKeeper.ServerEffect]) {
        guard !triggers.isEmpty else { return }
        var held: Set<UInt64> = []
        for (session, event, acl) in watches.fire(triggers) {
            guard let connection = sessionConnection[session],
                ZooKeeper.AccessControl.allows(acl, .read, identities: connections[connection]!.identities)
            else { continue }
            let frame = Frame.notification(event)
            if configuration.bugs.deliversWatchEventsLate {
                connections[connection]!.heldEvents.append(frame)
                held.insert(connection)
            } else {
                send(connection, frame, &effects)
            }
        }
        // Held events wait for the next answers; with nothing queued, they go now.
        for connection in held.sorted() where connections[connection]?.queue.isEmpty == true {
            flush(connection, &effects)
        }
    }

    /// A session was created or reattached: its owner serves it now. A
    /// connection here that served it before (another connection of the
    /// same client, or this server after the session moved away) is closed.
    private mutating func attach(_ session: ZooKeeper.Session, _ applied: ZooKeeper.Applied, _ effects: inout [ZooKeeper.ServerEffect]) {
        let requester = applied.origin.server == serverID ? waiting[applied.origin.tag] : nil
        if let old = sessionConnection[session.id], old != requester, session.owner != serverID || requester != nil {
            close(old, &effects)
        }
        if expiry != nil { expiry!.track(session, nowMilliseconds: nowMilliseconds) }
    }

    /// A session ended: its watches here go, and a connection serving it
    /// closes (after answering its closeSession, if it asked).
    private mutating func end(_ session: Int64, _ applied: ZooKeeper.Applied, _ effects: inout [ZooKeeper.ServerEffect]) {
        if expiry != nil { expiry!.remove(session) }
        touched.remove(session)
        guard let connection = sessionConnection[session] else { return }
        let requester = applied.origin.server == serverID ? waiting[applied.origin.tag] : nil
        if connection != requester {
            close(connection, &effects)
        }
    }

    /// The outcome of a proposal a connection here waits on.
    private mutating func complete(_ connection: UInt64, tag: UInt64, _ outcome: ZooKeeper.Applied.Outcome, _ effects: inout [ZooKeeper.ServerEffect]) {
        guard connections[connection] != nil else { return }
        if case .connecting(let waitingTag) = connections[connection]!.phase, waitingTag == tag {
            return finishConnect(connection, outcome, &effects)
        }
        // A session's requests are applied in the order they were proposed;
        // an answer for anything but the first waiting request means a
        // proposal was lost or reordered, and the client must reconnect.
        guard let position = connections[connection]!.queue.firstIndex(where: {
            if case .waitingForLog = $0.work { return true } else { return false }
        }), case .waitingForLog(let expected) = connections[connection]!.queue[position].work, expected == tag else {
            return close(connection, &effects)
        }
        if case .error(.sessionMoved) = outcome {
            // ZooKeeper tears down a connection whose session moved.
            return close(connection, &effects)
        }
        connections[connection]!.queue[position].work = .completed(outcome)
        flush(connection, &effects)
    }

    /// The session of a connecting client was created or reattached (or not).
    mutating func finishConnect(_ connection: UInt64, _ outcome: ZooKeeper.Applied.Outcome, _ effects: inout [ZooKeeper.ServerEffect]) {
        let readOnly: Bool? = connections[connection]!.sentReadOnlyFlag ? false : nil
        guard case .sessionEstablished(let session) = outcome else {
            let response = ZooKeeper.ConnectResponse.invalidSession(readOnly: readOnly)
            send(connection, Frame.encode(response.juteEncoded), &effects)
            return close(connection, &effects)
        }
        connections[connection]!.phase = .established(sessionID: session.id)
        sessionConnection[session.id] = connection
        touch(session.id)
        let response = ZooKeeper.ConnectResponse(
            timeoutMilliseconds: session.timeoutMilliseconds, sessionID: session.id, password: session.password, readOnly: readOnly)
        send(connection, Frame.encode(response.juteEncoded), &effects)
        let deferred = connections[connection]!.deferredFrames
        connections[connection]!.deferredFrames = []
        for frame in deferred where connections[connection] != nil {
            handleRequest(connection, session.id, frame, &effects)
        }
    }
}
