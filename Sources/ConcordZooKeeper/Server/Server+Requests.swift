import ConcordFoundation

extension ZooKeeper.Server {
    typealias Request = ZooKeeper.Request
    typealias ErrorCode = ZooKeeper.ErrorCode
    typealias Frame = ZooKeeper.Frame

    /// One framed message: the ConnectRequest first, requests after it.
    mutating func handleMessage(_ connection: UInt64, _ body: [UInt8], _ effects: inout [ZooKeeper.ServerEffect]) {
        switch connections[connection]!.phase {
        case .awaitingConnect:
            handleConnect(connection, body, &effects)
        case .connecting:
            // ZooKeeper stops reading a connection until its session is set up.
            connections[connection]!.deferredFrames.append(body)
        case .established(let session):
            handleRequest(connection, session, body, &effects)
        }
    }

    /// A ConnectRequest: refuse a client that has seen more than this
    /// replica, then create or reattach its session through the log.
    private mutating func handleConnect(_ connection: UInt64, _ body: [UInt8], _ effects: inout [ZooKeeper.ServerEffect]) {
        guard let request = try? ZooKeeper.ConnectRequest(juteEncoded: body) else {
            return close(connection, &effects)
        }
        connections[connection]!.sentReadOnlyFlag = request.readOnly != nil
        if request.lastZxidSeen > state.lastZxid && !configuration.bugs.acceptsClientsAhead {
            // "Refusing session request for client as it has seen zxid ... our last zxid is ...":
            // the client must try another server.
            return close(connection, &effects)
        }
        let tag = tag(for: connection)
        connections[connection]!.phase = .connecting(tag: tag)
        if configuration.bugs.acceptsClientsAhead, let known = state.sessions[request.sessionID], known.password == request.password {
            // The bug: answer from the local table now; the reattachment's outcome is ignored.
            waiting[tag] = nil
            effects.append(.propose(ZooKeeper.Proposal(
                origin: ZooKeeper.Origin(server: serverID, tag: 0), command: .reattachSession(sessionID: known.id, password: known.password))))
            return finishConnect(connection, .sessionEstablished(known), &effects)
        }
        let command: ZooKeeper.Command
        if request.sessionID == 0 {
            var id: Int64
            repeat {
                id = Int64(bitPattern: random.next() >> 1)
            } while id == 0 || state.sessions[id] != nil
            let password = (0..<ZooKeeper.Session.passwordBytes).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            command = .createSession(sessionID: id, timeoutMilliseconds: configuration.negotiatedTimeout(request.timeoutMilliseconds), password: password)
        } else {
            command = .reattachSession(sessionID: request.sessionID, password: request.password)
        }
        effects.append(.propose(ZooKeeper.Proposal(origin: ZooKeeper.Origin(server: serverID, tag: tag), command: command)))
    }

    /// A request on an established session.
    mutating func handleRequest(_ connection: UInt64, _ session: Int64, _ body: [UInt8], _ effects: inout [ZooKeeper.ServerEffect]) {
        guard !connections[connection]!.isClosing else { return }
        var reader = ZooKeeper.JuteReader(body)
        guard let header = try? ZooKeeper.RequestHeader(jute: &reader) else {
            return close(connection, &effects)
        }
        touch(session)
        let identities = connections[connection]!.identities
        let request: Request
        do {
            request = try Request.decode(type: header.type, body: body[ZooKeeper.RequestHeader.encodedBytes...])
        } catch {
            enqueue(connection, .init(xid: header.xid, identities: identities, work: .refused(error.errorCode)), &effects)
            return
        }
        guard connections[connection]!.queue.count < configuration.pendingRequestsMax else {
            return close(connection, &effects)
        }
        switch request {
        case .authenticate(let scheme, let credential):
            // Answered at once, as ZooKeeper does; requests after it carry the identity.
            guard scheme == "digest" else {
                send(connection, Frame.reply(xid: header.xid, zxid: 0, error: .authFailed), &effects)
                return close(connection, &effects)
            }
            let identity = ZooKeeper.AccessControl.digestIdentity(credential: credential, sha1: sha1)
            if !connections[connection]!.identities.contains(identity) { connections[connection]!.identities.append(identity) }
            send(connection, Frame.reply(xid: header.xid, zxid: 0, error: .ok), &effects)
        case .write(let write):
            let tag = tag(for: connection)
            enqueue(connection, .init(xid: header.xid, identities: identities, work: .waitingForLog(tag: tag)), &effects)
            effects.append(.propose(ZooKeeper.Proposal(
                origin: ZooKeeper.Origin(server: serverID, tag: tag),
                command: .write(sessionID: session, identities: identities, request: write))))
        case .sync(let path):
            let tag = tag(for: connection)
            enqueue(connection, .init(xid: header.xid, identities: identities, work: .waitingForLog(tag: tag)), &effects)
            effects.append(.propose(ZooKeeper.Proposal(origin: ZooKeeper.Origin(server: serverID, tag: tag), command: .sync(sessionID: session, path: path))))
        case .closeSession:
            connections[connection]!.isClosing = true
            let tag = tag(for: connection)
            enqueue(connection, .init(xid: header.xid, identities: identities, work: .waitingForLog(tag: tag), closesConnection: true), &effects)
            effects.append(.propose(ZooKeeper.Proposal(
                origin: ZooKeeper.Origin(server: serverID, tag: tag), command: .closeSession(sessionID: session, reason: .closedByClient))))
        case .read, .ping, .setWatches, .addWatch, .checkWatches, .removeWatches:
            enqueue(connection, .init(xid: header.xid, identities: identities, work: .local(request)), &effects)
        }
    }

    /// Adds a request to the connection's queue and answers what can be answered.
    private mutating func enqueue(_ connection: UInt64, _ pending: ZooKeeper.ClientConnection.Pending, _ effects: inout [ZooKeeper.ServerEffect]) {
        connections[connection]!.queue.append(pending)
        flush(connection, &effects)
    }

    /// Answers the connection's requests from the head of its queue until one
    /// waits for the log. Local requests run now, against this replica's
    /// current state, so they see everything applied before them.
    mutating func flush(_ connection: UInt64, _ effects: inout [ZooKeeper.ServerEffect]) {
        var answered = false
        while let head = connections[connection]?.queue.first {
            guard let session = connections[connection]!.sessionID else { return }
            let reply: [UInt8]
            switch head.work {
            case .waitingForLog:
                if answered { releaseHeldEvents(connection, &effects) }
                return
            case .completed(let outcome):
                switch outcome {
                case .response(let response):
                    reply = Frame.reply(xid: head.xid, zxid: state.lastZxid, error: .ok, body: response.encodedBody())
                case .error(let code), .sessionRefused(let code):
                    reply = Frame.reply(xid: head.xid, zxid: state.lastZxid, error: code)
                case .sessionEstablished, .done:
                    reply = Frame.reply(xid: head.xid, zxid: state.lastZxid, error: .ok)
                }
            case .refused(let code):
                reply = Frame.reply(xid: head.xid, zxid: state.lastZxid, error: code)
            case .local(let request):
                reply = runLocal(request, xid: head.xid, session: session, identities: head.identities, connection: connection, &effects)
            }
            connections[connection]!.queue.removeFirst()
            send(connection, reply, &effects)
            answered = true
            if head.closesConnection {
                close(connection, &effects)
                return
            }
        }
        releaseHeldEvents(connection, &effects)
    }

    /// With the late-delivery bug, events wait until the answers queued
    /// behind them have gone.
    private mutating func releaseHeldEvents(_ connection: UInt64, _ effects: inout [ZooKeeper.ServerEffect]) {
        guard let held = connections[connection]?.heldEvents, !held.isEmpty else { return }
        connections[connection]!.heldEvents = []
        for event in held { send(connection, event, &effects) }
    }

    /// Runs a read, ping or watch request and returns its reply frame.
    private mutating func runLocal(
        _ request: Request, xid: Int32, session: Int64, identities: [ZooKeeper.Identity], connection: UInt64,
        _ effects: inout [ZooKeeper.ServerEffect]
    ) -> [UInt8] {
        let result: Result<ZooKeeper.Response, ErrorCode>
        switch request {
        case .ping:
            result = .success(.empty)
        case .read(let read):
            result = runRead(read, session: session, identities: identities)
        case .setWatches(let watches):
            setWatches(watches, session: session, connection: connection, &effects)
            result = .success(.empty)
        case .addWatch(let path, let mode):
            if ZooKeeper.Path.isValid(path) {
                watches.addPersistentWatch(path, session: session, mode: mode)
                result = .success(.watchAdded)
            } else {
                result = .failure(.badArguments)
            }
        case .checkWatches(let path, let type):
            result = watches.contains(path, type: type, session: session) ? .success(.empty) : .failure(.noWatcher)
        case .removeWatches(let path, let type):
            result = watches.remove(path, type: type, session: session) ? .success(.empty) : .failure(.noWatcher)
        case .write, .sync, .closeSession, .authenticate:
            preconditionFailure("not a local request")
        }
        switch result {
        case .success(let response):
            return Frame.reply(xid: xid, zxid: state.lastZxid, error: .ok, body: response.encodedBody())
        case .failure(let code):
            return Frame.reply(xid: xid, zxid: state.lastZxid, error: code)
        }
    }

    /// A read against this replica, registering its watch as ZooKeeper does:
    /// exists watches even an absent node; getData and getChildren watch
    /// only a node they could read.
    mutating func runRead(_ read: ZooKeeper.ReadRequest, session: Int64, identities: [ZooKeeper.Identity]) -> Result<ZooKeeper.Response, ErrorCode> {
        switch read {
        case .exists(let path, let watch):
            let result = state.exists(path, identities: identities)
            if watch, case .success = result { watches.addDataWatch(path, session: session) }
            if watch, case .failure(.noNode) = result { watches.addDataWatch(path, session: session) }
            return result.map { .stat($0) }
        case .getData(let path, let watch):
            let result = state.getData(path, identities: identities)
            if watch, case .success = result { watches.addDataWatch(path, session: session) }
            return result.map { .data(data: $0.data, stat: $0.stat) }
        case .getChildren(let path, let watch), .getChildren2(let path, let watch):
            let result = state.getChildren(path, identities: identities)
            if watch, case .success = result { watches.addChildWatch(path, session: session) }
            if case .getChildren = read { return result.map { .children($0.children) } }
            return result.map { .childrenAndStat(children: $0.children, stat: $0.stat) }
        case .getACL(let path):
            return state.getACL(path, identities: identities).map { .acl(acl: $0.acl, stat: $0.stat) }
        case .getAllChildrenNumber(let path):
            return state.allChildrenNumber(path, identities: identities).map { .count($0) }
        case .getEphemerals(let prefix):
            return .success(.paths(state.ephemerals(of: session, prefix: prefix)))
        case .multiRead(let operations):
            guard operations.count <= state.limits.multiOperationsMax else { return .failure(.badArguments) }
            let results: [ZooKeeper.MultiResult] = operations.map { operation in
                switch operation {
                case .getChildren(let path):
                    switch state.getChildren(path, identities: identities) {
                    case .success(let found): .getChildren(children: found.children)
                    case .failure(let code): .error(code)
                    }
                case .getData(let path):
                    switch state.getData(path, identities: identities) {
                    case .success(let found): .getData(data: found.data, stat: found.stat)
                    case .failure(let code): .error(code)
                    }
                }
            }
            return .success(.multi(results))
        }
    }

    /// Re-registers a reconnected client's watches (`DataTree.setWatches`):
    /// a watch whose node changed after `relativeZxid` fires at once instead.
    private mutating func setWatches(_ request: ZooKeeper.SetWatches, session: Int64, connection: UInt64, _ effects: inout [ZooKeeper.ServerEffect]) {
        var events: [ZooKeeper.WatcherEvent] = []
        for path in request.dataWatches {
            if let node = state.tree[path] {
                if node.mzxid > request.relativeZxid {
                    events.append(.init(type: .nodeDataChanged, path: path))
                } else {
                    watches.addDataWatch(path, session: session)
                }
            } else {
                events.append(.init(type: .nodeDeleted, path: path))
            }
        }
        for path in request.existWatches {
            if state.tree[path] != nil {
                events.append(.init(type: .nodeCreated, path: path))
            } else {
                watches.addDataWatch(path, session: session)
            }
        }
        for path in request.childWatches {
            if let node = state.tree[path] {
                if node.pzxid > request.relativeZxid {
                    events.append(.init(type: .nodeChildrenChanged, path: path))
                } else {
                    watches.addChildWatch(path, session: session)
                }
            } else {
                events.append(.init(type: .nodeDeleted, path: path))
            }
        }
        for path in request.persistentWatches { watches.addPersistentWatch(path, session: session, mode: .persistent) }
        for path in request.persistentRecursiveWatches { watches.addPersistentWatch(path, session: session, mode: .persistentRecursive) }
        for event in events { send(connection, Frame.notification(event), &effects) }
    }
}
