import ConcordChecker
import ConcordSimulation
import ConcordStorage
import ConcordZooKeeper

/// What the ZooKeeper clients of one run observed, in the order the
/// simulator ran them (an order of true time), and the sessions they were
/// told had expired. An oracle outside the protocol: clients report to it,
/// servers never read it.
final class ZooKeeperLabRecorder: @unchecked Sendable {
    private(set) var events: [ZooKeeperHistoryEvent] = []
    private(set) var expiredSessions: Set<Int64> = []
    /// Connections opened, sessions resumed on another member, requests
    /// whose outcome was lost with their connection.
    private(set) var connections = 0
    private(set) var moves = 0
    private(set) var abandoned = 0

    func record(_ process: Int, _ observation: ZooKeeperHistoryEvent.Observation, at time: SimulationInstant) {
        events.append(ZooKeeperHistoryEvent(process: process, observation, time: time.nanoseconds))
    }

    func expired(_ session: Int64) { expiredSessions.insert(session) }
    func connected() { connections += 1 }
    func moved() { moves += 1 }
    func abandonedRequest() { abandoned += 1 }
}

/// A simulated ZooKeeper client, speaking jute bytes to the members'
/// server cores over numbered messages that behave like a TCP connection
/// (in order; a gap breaks it). One session at a time is one checker
/// process: it creates, sets, deletes and reads znodes (reads may set
/// watches), creates ephemeral-sequential nodes and syncs; it resumes its
/// session on another member when its connection breaks or at random, sets
/// its watches again there, and sometimes falls silent until its session
/// expires. A request whose connection breaks has an unknown outcome: it
/// is recorded as `info` and the session is abandoned (a new process
/// starts), as in the checker's model.
struct ZooKeeperLabClient {
    static let thinkTimer = TimerID(1)
    static let timeoutTimer = TimerID(2)
    /// The paths the workload writes and reads (their parent is the root).
    static let paths = ["/k0", "/k1", "/k2"]

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    let id: NodeID
    let settings: ServerLabSettings
    let recorder: ZooKeeperLabRecorder
    /// The session timeout asked for, in milliseconds.
    let sessionTimeoutMilliseconds: Int32
    /// How long a connect may go unanswered before the client tries
    /// another member.
    let connectTimeout = SimulationDuration.milliseconds(300)
    /// How long a request may go unanswered before the client takes the
    /// connection for dead.
    let answerTimeout = SimulationDuration.milliseconds(1000)

    private var generation = 0
    private var connectionCount: UInt64 = 0
    private(set) var connection: UInt64 = 0
    private var server: NodeID
    private var sessionID: Int64 = 0
    private var password: [UInt8] = Array(repeating: 0, count: 16)
    private var connecting = false
    private var established = false
    private var lastZxid: Int64 = 0
    private var nextXid: Int32 = 1
    private var open: (xid: Int32, call: ZooKeeperCall, type: ZooKeeper.OpCode)?
    private var sent: UInt64 = 0
    private var received: UInt64 = 0
    private var buffer: [UInt8] = []
    private var dataWatches: Set<String> = []
    private var existWatches: Set<String> = []
    private var silent = false
    private var nextValue = 0

    init(id: NodeID, settings: ServerLabSettings, recorder: ZooKeeperLabRecorder, context: inout Context) {
        self.id = id
        self.settings = settings
        self.recorder = recorder
        sessionTimeoutMilliseconds = settings.zooKeeperSessionTimeoutMilliseconds
        server = settings.founders[context.random.index(below: settings.founders.count)]
        connect(&context)
        context.setTimer(Self.thinkTimer, after: thinkTime(&context))
    }

    /// True when no request is waiting for its answer.
    var isIdle: Bool { open == nil }
    private var process: Int { id * 10_000 + generation }

    // MARK: Timers

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.thinkTimer: think(&context)
        case Self.timeoutTimer:
            if connecting || open != nil { broken(&context) }
        default: break
        }
    }

    private func thinkTime(_ context: inout Context) -> SimulationDuration {
        .nanoseconds(1_000_000 + Int64(context.random.next(below: UInt64(max(1, settings.thinkTimeMax.nanoseconds)))))
    }

    /// The next step of the workload: a request, a move, falling silent or
    /// a ping. Past `clientsStopAt` the client sends nothing more, so that
    /// its session expires before the run ends.
    private mutating func think(_ context: inout Context) {
        guard context.trueTime < settings.clientsStopAt else { return }
        context.setTimer(Self.thinkTimer, after: thinkTime(&context))
        guard established, open == nil, !silent else { return }
        switch context.random.index(below: 40) {
        case 0:
            silent = true
        case 1, 2:
            move(&context)
        case 3, 4, 5, 6:
            send(.ping, xid: ZooKeeper.ReservedXid.ping, &context)
        default:
            issue(&context)
        }
    }

    // MARK: Connections

    private mutating func connect(_ context: inout Context) {
        connectionCount += 1
        connection = UInt64(id) * 1_000_000 + connectionCount
        sent = 0
        received = 0
        buffer = []
        connecting = true
        established = false
        recorder.connected()
        let request = ZooKeeper.ConnectRequest(
            lastZxidSeen: lastZxid, timeoutMilliseconds: sessionTimeoutMilliseconds, sessionID: sessionID, password: password,
            readOnly: false)
        transmit(ZooKeeper.Frame.encode(request.juteEncoded), &context)
        context.setTimer(Self.timeoutTimer, after: connectTimeout)
    }

    private mutating func transmit(_ bytes: [UInt8], _ context: inout Context) {
        sent += 1
        context.send(.zooKeeper(connection: connection, sequence: sent, bytes), to: server)
    }

    private mutating func send(_ request: ZooKeeper.Request, xid: Int32, _ context: inout Context) {
        transmit(ZooKeeper.Frame.request(xid: xid, request), &context)
    }

    /// Resumes the session on another member.
    private mutating func move(_ context: inout Context) {
        context.send(.zooKeeperClose(connection: connection), to: server)
        let others = settings.founders.filter { $0 != server }
        server = others.isEmpty ? server : others[context.random.index(below: others.count)]
        recorder.moved()
        connect(&context)
    }

    /// The connection broke (closed by the server, a gap, or no answer in time).
    private mutating func broken(_ context: inout Context) {
        if open != nil {
            // The request's fate is unknown; the session is abandoned with it.
            recorder.record(process, .info, at: context.trueTime)
            recorder.abandonedRequest()
            open = nil
            return endSession(expired: false, &context)
        }
        if sessionID != 0 {
            move(&context)
        } else {
            endSession(expired: false, &context)
        }
    }

    /// The session is over (or abandoned): a new process opens a new one.
    private mutating func endSession(expired: Bool, _ context: inout Context) {
        if expired { recorder.expired(sessionID) }
        context.send(.zooKeeperClose(connection: connection), to: server)
        generation += 1
        sessionID = 0
        password = Array(repeating: 0, count: 16)
        lastZxid = 0
        nextXid = 1
        dataWatches = []
        existWatches = []
        silent = false
        guard context.trueTime < settings.clientsStopAt else {
            connecting = false
            established = false
            return
        }
        server = settings.founders[context.random.index(below: settings.founders.count)]
        connect(&context)
    }

    // MARK: Messages

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        switch message {
        case .zooKeeper(let on, let sequence, let bytes):
            guard on == connection, connecting || established, sequence > received else { return }
            guard sequence == received + 1 else { return broken(&context) }
            received = sequence
            buffer += bytes
            readFrames(&context)
        case .zooKeeperClose(let on):
            guard on == connection, connecting || established else { return }
            broken(&context)
        default:
            break
        }
    }

    private mutating func readFrames(_ context: inout Context) {
        while buffer.count >= 4 {
            let length = Int(UInt32(buffer[0]) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3]))
            guard buffer.count >= 4 + length else { return }
            let body = Array(buffer[4..<(4 + length)])
            buffer.removeFirst(4 + length)
            let before = connection
            if connecting {
                connected(body, &context)
            } else {
                take(body, &context)
            }
            // A frame may end this connection (an invalid session, an answer to a close).
            guard connection == before, established else { return }
        }
    }

    private mutating func connected(_ body: [UInt8], _ context: inout Context) {
        guard let response = try? ZooKeeper.ConnectResponse(juteEncoded: body) else { return broken(&context) }
        connecting = false
        context.cancelTimer(Self.timeoutTimer)
        if response.timeoutMilliseconds == 0 {
            // The session expired while the client was away.
            return endSession(expired: true, &context)
        }
        sessionID = response.sessionID
        password = response.password
        established = true
        if !dataWatches.isEmpty || !existWatches.isEmpty {
            let watches = ZooKeeper.SetWatches(
                relativeZxid: lastZxid, dataWatches: dataWatches.sorted(), existWatches: existWatches.sorted())
            send(.setWatches(watches), xid: ZooKeeper.ReservedXid.setWatches, &context)
        }
    }

    /// A random request.
    private mutating func issue(_ context: inout Context) {
        let path = Self.paths[context.random.index(below: Self.paths.count)]
        nextValue += 1
        let value = "c\(id)v\(nextValue)"
        let call: ZooKeeperCall
        switch context.random.index(below: 12) {
        case 0, 1: call = .create(path: path, value: value)
        case 2, 3, 4:
            let version: Int32 = context.random.index(below: 3) == 0 ? Int32(context.random.index(below: 3)) : -1
            call = .setData(path: path, value: value, version: version)
        case 5: call = .delete(path: path, version: -1)
        case 6: call = .create(path: "/e-c\(id)-\(nextValue)-", value: value)
        case 7: call = .sync(path: path)
        default: call = .read(path: path, watch: context.random.index(below: 2) == 0)
        }
        let request: ZooKeeper.Request
        switch call {
        case .create(let path, let value):
            let mode: ZooKeeper.CreateMode = path.hasPrefix("/e-") ? .ephemeralSequential : .persistent
            request = .write(.single(.create(ZooKeeper.CreateOperation(path: path, data: Array(value.utf8), mode: mode))))
        case .setData(let path, let value, let version):
            request = .write(.single(.setData(path: path, data: Array(value.utf8), version: version)))
        case .delete(let path, let version):
            request = .write(.single(.delete(path: path, version: version)))
        case .read(let path, let watch):
            request = .read(watch ? .exists(path: path, watch: true) : .getData(path: path, watch: false))
        case .sync(let path):
            request = .sync(path: path)
        }
        let xid = nextXid
        nextXid += 1
        open = (xid, call, request.opCode)
        recorder.record(process, .invoke(call), at: context.trueTime)
        send(request, xid: xid, &context)
        context.setTimer(Self.timeoutTimer, after: answerTimeout)
    }

    /// One reply or watch event.
    private mutating func take(_ body: [UInt8], _ context: inout Context) {
        var reader = ZooKeeper.JuteReader(body)
        guard let header = try? ZooKeeper.ReplyHeader(jute: &reader) else { return broken(&context) }
        let rest = Array(body.dropFirst(ZooKeeper.ReplyHeader.encodedBytes))
        if header.xid == ZooKeeper.ReservedXid.notification {
            guard let event = try? ZooKeeper.WatcherEventRecord(juteEncoded: rest).event else { return broken(&context) }
            let type: ZooKeeperWatchEventType
            switch event.type {
            case .nodeCreated: type = .created
            case .nodeDeleted: type = .deleted
            case .nodeDataChanged: type = .dataChanged
            default: return
            }
            dataWatches.remove(event.path)
            existWatches.remove(event.path)
            recorder.record(process, .notification(path: event.path, type: type), at: context.trueTime)
            return
        }
        lastZxid = max(lastZxid, header.zxid)
        guard let open, header.xid == open.xid else { return }
        self.open = nil
        context.cancelTimer(Self.timeoutTimer)
        let error = ZooKeeper.ErrorCode(rawValue: header.err) ?? .systemError
        switch open.call {
        case .read(let path, let watch):
            if error == .noNode {
                if watch { existWatches.insert(path) }
                recorder.record(process, .read(zxid: header.zxid, node: nil), at: context.trueTime)
            } else if error == .ok, let response = try? ZooKeeper.Response.decode(requestType: open.type, body: rest[...]) {
                switch response {
                case .stat(let stat):
                    dataWatches.insert(path)
                    let seen = ZooKeeperNodeSeen(value: nil, version: stat.version, modifiedZxid: stat.mzxid)
                    recorder.record(process, .read(zxid: header.zxid, node: seen), at: context.trueTime)
                case .data(let data, let stat):
                    let seen = ZooKeeperNodeSeen(value: String(decoding: data, as: UTF8.self), version: stat.version, modifiedZxid: stat.mzxid)
                    recorder.record(process, .read(zxid: header.zxid, node: seen), at: context.trueTime)
                default:
                    recorder.record(process, .fail(zxid: header.zxid), at: context.trueTime)
                }
            } else {
                recorder.record(process, .fail(zxid: header.zxid), at: context.trueTime)
            }
        default:
            recorder.record(process, error == .ok ? .ok(zxid: header.zxid) : .fail(zxid: header.zxid), at: context.trueTime)
        }
    }
}
