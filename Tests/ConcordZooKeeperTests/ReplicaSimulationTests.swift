import ConcordChecker
import ConcordFoundation
import Testing
@testable import ConcordZooKeeper

/// Several servers applying one command log at their own pace, with
/// clients that read, write, watch, sync, move between servers and go
/// silent until their sessions expire. Every client records what it
/// observed; the run passes when the replicas end equal, no ephemeral node
/// outlives its session, and ConcordChecker finds ZooKeeper's guarantees
/// kept. Everything derives from the seed.
struct ReplicaSimulation {
    /// One client: a session (a checker process) and its current connection.
    struct Client {
        var process: Int
        var connection: UInt64
        var server: Int
        var sessionID: Int64 = 0
        var password: [UInt8] = Array(repeating: 0, count: 16)
        var established = false
        var lastZxid: Int64 = 0
        var nextXid: Int32 = 1
        var open: (xid: Int32, call: ZooKeeperCall, type: ZooKeeper.OpCode)?
        var framesSeen = 0
        var connectSeen = false
        var dataWatches: Set<String> = []
        var existWatches: Set<String> = []
        var silent = false
    }

    var cluster: TestCluster
    var random: SeededRandom
    var clients: [Client] = []
    var events: [ZooKeeperHistoryEvent] = []
    var nextProcess = 0
    var nextConnection: UInt64 = 1
    var nextValue = 0
    /// Sessions a client was told are gone.
    var expiredSessions: Set<Int64> = []
    let paths = ["/k0", "/k1", "/k2"]

    init(seed: UInt64, servers: Int = 3, clients clientCount: Int = 4, bugs: ZooKeeper.ServerBugs = .init()) {
        random = SeededRandom(seed: seed)
        cluster = TestCluster(count: servers, configuration: ZooKeeper.ServerConfiguration(bugs: bugs), seed: seed)
        for _ in 0..<clientCount { startSession() }
    }

    mutating func record(_ process: Int, _ observation: ZooKeeperHistoryEvent.Observation) {
        events.append(ZooKeeperHistoryEvent(process: process, observation, time: cluster.time))
    }

    /// A new session (a new process) on a random server.
    mutating func newClient() -> Client {
        let client = Client(process: nextProcess, connection: nextConnection, server: random.index(below: cluster.servers.count))
        nextProcess += 1
        nextConnection += 1
        cluster.connect(client.connection, to: client.server, timeout: 6_000)
        return client
    }

    mutating func startSession() {
        clients.append(newClient())
    }

    /// Reconnects client `index` with its session to another server.
    mutating func move(_ index: Int) {
        let old = clients[index].connection
        if !cluster.closed.contains(old) { cluster.disconnect(old) }
        clients[index].connection = nextConnection
        nextConnection += 1
        clients[index].server = (clients[index].server + 1 + random.index(below: cluster.servers.count - 1)) % cluster.servers.count
        clients[index].established = false
        clients[index].connectSeen = false
        clients[index].framesSeen = 0
        cluster.connect(clients[index].connection, to: clients[index].server, sessionID: clients[index].sessionID,
                        password: clients[index].password, lastZxid: clients[index].lastZxid, timeout: 6_000)
    }

    /// Sends a request on client `index`'s connection.
    mutating func send(_ index: Int, _ call: ZooKeeperCall) {
        let xid = clients[index].nextXid
        clients[index].nextXid += 1
        let request: ZooKeeper.Request
        switch call {
        case .create(let path, let value):
            let mode: ZooKeeper.CreateMode = path.hasPrefix("/e/") ? .ephemeralSequential : .persistent
            request = .write(.single(.create(.init(path: path, data: bytes(value), mode: mode))))
        case .setData(let path, let value, let version):
            request = .write(.single(.setData(path: path, data: bytes(value), version: version)))
        case .delete(let path, let version):
            request = .write(.single(.delete(path: path, version: version)))
        case .read(let path, let watch):
            request = .read(watch ? .exists(path: path, watch: true) : .getData(path: path, watch: false))
        case .sync(let path):
            request = .sync(path: path)
        }
        clients[index].open = (xid, call, request.opCode)
        record(clients[index].process, .invoke(call))
        cluster.request(clients[index].connection, xid: xid, request)
    }

    /// A random request from an idle, established client.
    mutating func issue(_ index: Int) {
        let path = paths[random.index(below: paths.count)]
        nextValue += 1
        let value = "v\(nextValue)"
        let call: ZooKeeperCall
        switch random.index(below: 12) {
        case 0, 1: call = .create(path: path, value: value)
        case 2, 3, 4: call = .setData(path: path, value: value, version: random.index(below: 3) == 0 ? Int32(random.index(below: 3)) : -1)
        case 5: call = .delete(path: path, version: -1)
        case 6: call = .create(path: "/e/c\(nextValue)-", value: value)
        case 7: call = .sync(path: path)
        default: call = .read(path: path, watch: random.index(below: 2) == 0)
        }
        send(index, call)
    }

    /// Reads what every client's connection received since the last look.
    mutating func observe() {
        for index in clients.indices {
            let connection = clients[index].connection
            if !clients[index].connectSeen, let connect = cluster.received[connection]?.connect {
                clients[index].connectSeen = true
                if connect.timeoutMilliseconds == 0 {
                    endSession(index, expired: true)
                    continue
                }
                clients[index].sessionID = connect.sessionID
                clients[index].password = connect.password
                clients[index].established = true
                if !clients[index].dataWatches.isEmpty || !clients[index].existWatches.isEmpty {
                    cluster.request(connection, xid: ZooKeeper.ReservedXid.setWatches, .setWatches(.init(
                        relativeZxid: clients[index].lastZxid, dataWatches: clients[index].dataWatches.sorted(),
                        existWatches: clients[index].existWatches.sorted())))
                }
            }
            let frames = cluster.frames(connection, from: clients[index].framesSeen)
            clients[index].framesSeen += frames.count
            for (header, body) in frames { take(index, header, body) }
            guard cluster.closed.contains(connection) else { continue }
            if clients[index].open != nil {
                // The request's fate is unknown, and the session is abandoned with it.
                record(clients[index].process, .info)
                clients[index].open = nil
                endSession(index, expired: false)
            } else if clients[index].sessionID != 0 {
                move(index)
            } else {
                endSession(index, expired: false)
            }
        }
    }

    /// One reply or event for client `index`.
    mutating func take(_ index: Int, _ header: ZooKeeper.ReplyHeader, _ body: [UInt8]) {
        if header.xid == ZooKeeper.ReservedXid.notification {
            let event = try! ZooKeeper.WatcherEventRecord(juteEncoded: body).event
            let type: ZooKeeperWatchEventType
            switch event.type {
            case .nodeCreated: type = .created
            case .nodeDeleted: type = .deleted
            case .nodeDataChanged: type = .dataChanged
            default: return
            }
            clients[index].dataWatches.remove(event.path)
            clients[index].existWatches.remove(event.path)
            record(clients[index].process, .notification(path: event.path, type: type))
            return
        }
        clients[index].lastZxid = max(clients[index].lastZxid, header.zxid)
        guard let open = clients[index].open, header.xid == open.xid else { return }
        clients[index].open = nil
        let process = clients[index].process
        let error = ZooKeeper.ErrorCode(rawValue: header.err) ?? .systemError
        switch open.call {
        case .read(let path, let watch):
            if error == .noNode {
                if watch { clients[index].existWatches.insert(path) }
                record(process, .read(zxid: header.zxid, node: nil))
            } else if error == .ok {
                let response = try! ZooKeeper.Response.decode(requestType: open.type, body: body[...])
                switch response {
                case .stat(let stat):
                    clients[index].dataWatches.insert(path)
                    record(process, .read(zxid: header.zxid, node: ZooKeeperNodeSeen(value: nil, version: stat.version, modifiedZxid: stat.mzxid)))
                case .data(let data, let stat):
                    record(process, .read(zxid: header.zxid, node: ZooKeeperNodeSeen(value: String(decoding: data, as: UTF8.self), version: stat.version, modifiedZxid: stat.mzxid)))
                default:
                    Issue.record("unexpected read response \(response)")
                }
            } else {
                record(process, .fail(zxid: header.zxid))
            }
        default:
            record(process, error == .ok ? .ok(zxid: header.zxid) : .fail(zxid: header.zxid))
        }
    }

    /// The client's session is over (or abandoned after a lost request): a
    /// new session takes its place.
    mutating func endSession(_ index: Int, expired: Bool) {
        if expired { expiredSessions.insert(clients[index].sessionID) }
        if !cluster.closed.contains(clients[index].connection) { cluster.disconnect(clients[index].connection) }
        clients[index] = newClient()
    }

    /// One random step of the run.
    mutating func step() {
        switch random.index(below: 20) {
        case 0..<7:
            let idle = clients.indices.filter { clients[$0].established && clients[$0].open == nil && !clients[$0].silent && !cluster.closed.contains(clients[$0].connection) }
            if let index = idle.isEmpty ? nil : idle[random.index(below: idle.count)] { issue(index) }
        case 7..<11:
            cluster.commit()
        case 11..<16:
            let server = random.index(below: cluster.servers.count)
            cluster.deliver(to: server, count: 1 + random.index(below: 3))
        case 16:
            let idle = clients.indices.filter { clients[$0].established && clients[$0].open == nil && !clients[$0].silent }
            if let index = idle.isEmpty ? nil : idle[random.index(below: idle.count)] { move(index) }
        case 17, 18:
            cluster.tick(by: 1_000)
            for index in clients.indices where clients[index].established && !clients[index].silent && !cluster.closed.contains(clients[index].connection) {
                cluster.request(clients[index].connection, xid: ZooKeeper.ReservedXid.ping, .ping)
            }
            for server in 1..<cluster.servers.count {
                cluster.servers[0].onSessionsTouched(cluster.servers[server].takeTouchedSessions())
            }
        default:
            if random.index(below: 4) == 0, !clients.isEmpty { clients[random.index(below: clients.count)].silent = true }
        }
        observe()
    }

    /// Runs `steps` random steps, then lets everything settle.
    mutating func run(steps: Int) {
        for _ in 0..<steps { step() }
        for _ in 0..<3 {
            cluster.settle()
            observe()
        }
    }

    /// What went wrong, if anything: replicas that differ, an ephemeral
    /// node without its session, or the checker's violations.
    func verdict() -> [String] {
        var problems: [String] = []
        let snapshots = cluster.servers.map { $0.state.snapshot() }
        if Set(snapshots).count != 1 { problems.append("the replicas differ after applying the same log") }
        for server in cluster.servers {
            for (session, paths) in server.state.tree.ephemerals where server.state.sessions[session] == nil || expiredSessions.contains(session) {
                problems.append("server \(server.serverID) keeps \(paths.sorted()) of ended session \(session)")
            }
        }
        do {
            let report = checkZooKeeperGuarantees(try ZooKeeperHistory(events))
            problems += report.violations.map(\.description)
        } catch {
            problems.append("invalid history: \(error)")
        }
        return problems
    }
}

@Suite("ZooKeeper replicas on one log")
struct ReplicaSimulationTests {
    @Test("replicas applying one log agree, ephemerals die with their sessions, and clients see ZooKeeper's guarantees", arguments: 0..<40)
    func guaranteesHold(seed: UInt64) {
        var simulation = ReplicaSimulation(seed: seed)
        simulation.run(steps: 600)
        #expect(simulation.verdict() == [], "seed \(seed)")
        #expect(simulation.events.count > 100, "seed \(seed): too little happened")
    }

    @Test("the same seed gives the same run")
    func deterministic() {
        var first = ReplicaSimulation(seed: 7)
        var second = ReplicaSimulation(seed: 7)
        first.run(steps: 300)
        second.run(steps: 300)
        #expect(first.events == second.events)
        #expect(first.cluster.log == second.cluster.log)
    }

    @Test("runs exercise moves, expiries, watches and syncs")
    func coverage() {
        var moves = 0, expiries = 0, notifications = 0, syncs = 0
        for seed in 0..<10 as Range<UInt64> {
            var simulation = ReplicaSimulation(seed: seed)
            simulation.run(steps: 400)
            notifications += simulation.events.filter { if case .notification = $0.observation { true } else { false } }.count
            syncs += simulation.events.filter { if case .invoke(.sync) = $0.observation { true } else { false } }.count
            moves += simulation.cluster.log.filter { if case .reattachSession = $0.command { true } else { false } }.count
            expiries += simulation.cluster.log.filter { if case .closeSession(_, .expired) = $0.command { true } else { false } }.count
        }
        #expect(moves > 10 && expiries > 3 && notifications > 10 && syncs > 10, "moves \(moves), expiries \(expiries), notifications \(notifications), syncs \(syncs)")
    }

    /// The first seed below `limit` whose run the checker fails with `bugs` on, if any.
    func firstFailingSeed(_ bugs: ZooKeeper.ServerBugs, limit: UInt64) -> (UInt64, [String])? {
        for seed in 0..<limit {
            var simulation = ReplicaSimulation(seed: seed, bugs: bugs)
            simulation.run(steps: 400)
            let problems = simulation.verdict()
            if !problems.isEmpty { return (seed, problems) }
        }
        return nil
    }

    @Test("a server that serves a reconnected client from an older state is caught")
    func staleReconnectCaught() {
        let found = firstFailingSeed(.init(acceptsClientsAhead: true), limit: 40)
        #expect(found != nil)
        #expect(found?.1.contains { $0.hasPrefix("monotonic-sessions") } == true, "\(found?.1 ?? [])")
    }

    @Test("a server that delivers watch events after the answers behind them is caught")
    func lateWatchCaught() {
        let found = firstFailingSeed(.init(deliversWatchEventsLate: true), limit: 40)
        #expect(found != nil)
        #expect(found?.1.contains { $0.hasPrefix("watch-order") } == true, "\(found?.1 ?? [])")
    }
}
