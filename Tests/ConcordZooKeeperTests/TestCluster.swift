import ConcordFoundation
@testable import ConcordZooKeeper

/// What a client connection received: the connect response, then replies
/// and notifications, framed as ZooKeeper frames them.
struct Received: Equatable {
    var connect: ZooKeeper.ConnectResponse?
    /// Replies and notifications in arrival order: header and body.
    var frames: [(header: ZooKeeper.ReplyHeader, body: [UInt8])] = []

    static func == (left: Received, right: Received) -> Bool {
        left.connect == right.connect && left.frames.map(\.header) == right.frames.map(\.header) && left.frames.map(\.body) == right.frames.map(\.body)
    }
}

/// Several ZooKeeper servers applying one shared log, with clients as
/// numbered connections: a deterministic stand-in for the Raft log and the
/// network, for tests. Proposals wait in `pending` until `commit()`; each
/// server applies the log at its own pace.
struct TestCluster {
    var servers: [ZooKeeper.Server]
    var pending: [ZooKeeper.Proposal] = []
    var log: [ZooKeeper.Transaction] = []
    var applied: [Int]
    var time: Int64 = 1_000_000
    /// Bytes each connection received, not yet parsed.
    var incoming: [UInt64: [UInt8]] = [:]
    var received: [UInt64: Received] = [:]
    var closed: Set<UInt64> = []
    var connectionServer: [UInt64: Int] = [:]
    /// The text answers to four-letter words, by connection.
    var text: [UInt64: String] = [:]
    /// The connections that sent a four-letter word.
    var askedWord: Set<UInt64> = []

    init(count: Int, configuration: ZooKeeper.ServerConfiguration = ZooKeeper.ServerConfiguration(), seed: UInt64 = 1) {
        servers = (0..<count).map { index in
            ZooKeeper.Server(
                serverID: UInt64(index + 1), configuration: configuration,
                random: SeededRandom(seed: seed &+ UInt64(index)), sha1: testSHA1)
        }
        applied = Array(repeating: 0, count: count)
        servers[0].onBecameLeader(nowMilliseconds: time)
    }

    /// Performs a server's effects: bytes to clients, closes, proposals.
    mutating func perform(_ effects: [ZooKeeper.ServerEffect], server: Int) {
        for effect in effects {
            switch effect {
            case .send(let connection, let bytes) where askedWord.contains(connection):
                text[connection, default: ""] += String(decoding: bytes, as: UTF8.self)
            case .send(let connection, let bytes):
                incoming[connection, default: []] += bytes
            case .close(let connection):
                closed.insert(connection)
            case .propose(let proposal):
                pending.append(proposal)
            }
        }
        parseIncoming()
    }

    /// Splits received bytes into the connect response and reply frames.
    mutating func parseIncoming() {
        for connection in incoming.keys.sorted() {
            var bytes = incoming[connection]!
            var state = received[connection] ?? Received()
            while bytes.count >= 4 {
                let length = Int(UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3]))
                guard bytes.count >= 4 + length else { break }
                let body = Array(bytes[4..<(4 + length)])
                bytes.removeFirst(4 + length)
                if state.connect == nil {
                    state.connect = try? ZooKeeper.ConnectResponse(juteEncoded: body)
                } else {
                    var reader = ZooKeeper.JuteReader(body)
                    let header = try! ZooKeeper.ReplyHeader(jute: &reader)
                    state.frames.append((header, Array(body.dropFirst(ZooKeeper.ReplyHeader.encodedBytes))))
                }
            }
            incoming[connection] = bytes
            received[connection] = state
        }
    }

    /// A client connection to `server` sends bytes.
    mutating func send(_ connection: UInt64, to server: Int, _ bytes: [UInt8]) {
        connectionServer[connection] = server
        let effects = servers[server].onBytes(connection, bytes)
        perform(effects, server: server)
    }

    /// A connection sends a four-letter word instead of a ConnectRequest.
    mutating func ask(_ connection: UInt64, to server: Int, _ word: String) {
        askedWord.insert(connection)
        send(connection, to: server, bytes(word))
    }

    /// A client connects to `server` (the ConnectRequest frame).
    mutating func connect(_ connection: UInt64, to server: Int, sessionID: Int64 = 0, password: [UInt8] = Array(repeating: 0, count: 16), lastZxid: Int64 = 0, timeout: Int32 = 10_000) {
        let request = ZooKeeper.ConnectRequest(lastZxidSeen: lastZxid, timeoutMilliseconds: timeout, sessionID: sessionID, password: password, readOnly: false)
        send(connection, to: server, ZooKeeper.Frame.encode(request.juteEncoded))
    }

    /// A client sends a request.
    mutating func request(_ connection: UInt64, xid: Int32, _ request: ZooKeeper.Request) {
        send(connection, to: connectionServer[connection]!, ZooKeeper.Frame.request(xid: xid, request))
    }

    /// The client side closes a connection.
    mutating func disconnect(_ connection: UInt64) {
        if let server = connectionServer[connection] { servers[server].onDisconnected(connection) }
        closed.insert(connection)
    }

    /// Orders the pending proposals into the log, stamped with the leader's time.
    mutating func commit() {
        time += 1
        for proposal in pending { log.append(ZooKeeper.Transaction(proposal, timeMilliseconds: time)) }
        pending = []
    }

    /// Lets `server` apply up to `count` more log entries (all by default).
    mutating func deliver(to server: Int, count: Int = .max) {
        var remaining = count
        while applied[server] < log.count && remaining > 0 {
            let effects = servers[server].onCommitted(log[applied[server]])
            applied[server] += 1
            remaining -= 1
            perform(effects, server: server)
        }
    }

    /// Commits and delivers everything to every server until nothing is pending.
    mutating func settle() {
        repeat {
            commit()
            for server in servers.indices { deliver(to: server) }
        } while !pending.isEmpty
    }

    /// Advances time and ticks every server.
    mutating func tick(by milliseconds: Int64) {
        time += milliseconds
        for server in servers.indices { perform(servers[server].onTick(nowMilliseconds: time), server: server) }
    }

    /// The frames a connection received, from the `from`-th on.
    func frames(_ connection: UInt64, from start: Int = 0) -> [(header: ZooKeeper.ReplyHeader, body: [UInt8])] {
        Array((received[connection]?.frames ?? []).dropFirst(start))
    }

    /// The reply to `xid` on a connection.
    func reply(_ connection: UInt64, xid: Int32) -> (header: ZooKeeper.ReplyHeader, body: [UInt8])? {
        frames(connection).last { $0.header.xid == xid }
    }

    /// The decoded response to `xid`, answering a request of `type`.
    func response(_ connection: UInt64, xid: Int32, type: ZooKeeper.OpCode) -> Result<ZooKeeper.Response, ZooKeeper.ErrorCode>? {
        guard let reply = reply(connection, xid: xid) else { return nil }
        guard reply.header.err == 0 else { return .failure(ZooKeeper.ErrorCode(rawValue: reply.header.err)!) }
        return .success(try! ZooKeeper.Response.decode(requestType: type, body: reply.body[...]))
    }

    /// The watch events a connection received, in order.
    func events(_ connection: UInt64) -> [ZooKeeper.WatcherEvent] {
        frames(connection).filter { $0.header.xid == ZooKeeper.ReservedXid.notification }.map {
            try! ZooKeeper.WatcherEventRecord(juteEncoded: $0.body).event
        }
    }

    /// Opens a session on `server` through connection `connection`, settling the log.
    mutating func openSession(_ connection: UInt64, on server: Int) -> ZooKeeper.ConnectResponse {
        connect(connection, to: server)
        settle()
        return received[connection]!.connect!
    }
}
