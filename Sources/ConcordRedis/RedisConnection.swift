import ConcordClocks
import ConcordDynamo
import ConcordFoundation

/// One client connection speaking the Redis protocol to the available
/// store: bytes in, replies and store requests out.
///
/// The connection keeps what Redis keeps per client (the protocol version,
/// the name, the id, the selected database) and Concord's own: the
/// consistency its requests ask for and, once a session is started, the
/// session token its requests carry. Each parsed command is answered at
/// once (PING, HELLO, CLIENT …, errors) or becomes requests in
/// ConcordDynamo's own types (``ConcordDynamo/ClientRequest``) for the
/// local member; the member's answers come back through ``onReply(_:)``.
///
/// Ordering. Replies leave in request order, whatever order the store
/// answers in. Store requests are sent as soon as ordering allows, so a
/// pipeline runs concurrently, except that a command waits for every
/// earlier open command that touches one of its keys when either of them
/// writes (so `SET k v` then `GET k` in one pipeline reads what the SET
/// wrote, at R + W > N), and, while a session is on, for every earlier
/// command (the token must include their effects: read-your-writes across
/// keys and monotonic reads hold within the pipeline too).
///
/// Users. While the shell's ``accessControl`` requires authentication,
/// every command is checked as it is parsed against the access control of
/// that moment (``AccessCheck``), so a change to users or permissions
/// applies to the next command of every open connection. AUTH and HELLO …
/// AUTH hand the password to the shell (``ConnectionOutput/authentication``)
/// and parse nothing more until it answers, so that the commands behind
/// them run as the user they name.
///
/// Closing. After QUIT or a protocol error the connection answers what
/// came before, then the QUIT's OK or the error, then asks to close
/// (``ConnectionOutput/closes``) and ignores everything after.
public struct RedisConnection: Sendable {
    /// The connection's id (CLIENT ID, HELLO).
    public let id: Int64
    /// The server's settings.
    public let settings: RedisSettings
    /// RESP2 until HELLO 3.
    public private(set) var protocolVersion: RESPVersion = .resp2
    /// CLIENT SETNAME's name.
    public private(set) var name: ByteString?
    /// The selected database (always 0: the store has one key space).
    public private(set) var database = 0
    /// The consistency requests ask for (CONCORD.CONSISTENCY).
    public private(set) var consistency: RequestConsistency
    /// The session token, while a session is on (CONCORD.SESSION).
    public private(set) var session: SessionToken?
    /// Set once the connection asked to close.
    public private(set) var isClosed = false
    /// The user the connection authenticated as (AUTH, HELLO … AUTH, or
    /// the client certificate); nil before.
    public private(set) var user: String?
    /// The users and permissions commands are checked against; the shell
    /// sets the current ones before each input.
    public var accessControl: any RedisAccessControl = OpenAccess()

    private var parser: RequestParser
    private var entries: [Entry] = []
    private var head = 0
    private var closing = false
    private var nextRequestID: UInt64 = 1
    /// Open requests: the sequence number of their entry and the task.
    private var owners: [UInt64: (entry: Int, task: Int)] = [:]
    private var firstSequence = 0
    /// The sequence number of the AUTH or HELLO whose password the shell
    /// is checking, and what it asked.
    private var authenticating: (entry: Int, request: AuthenticationRequest)?

    /// A new connection.
    public init(id: Int64, settings: RedisSettings = RedisSettings()) {
        self.id = id
        self.settings = settings
        consistency = settings.defaultConsistency
        parser = RequestParser(limits: settings.limits)
    }

    /// The number of commands received and not yet answered.
    public var openCommandCount: Int { entries.count - head }

    /// The number of bytes received and not yet parsed.
    public var unparsedByteCount: Int { parser.bufferedCount }

    /// True while input waits unparsed for a password check: the shell
    /// should stop reading until ``onAuthentication(accepted:)``.
    public var holdsInput: Bool { authenticating != nil && unparsedByteCount > 0 }

    // MARK: Inputs

    /// Takes bytes read from the socket.
    public mutating func onBytes(_ bytes: some Sequence<UInt8>) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard !isClosed else { return output }
        parser.append(bytes)
        advance(&output)
        return output
    }

    /// Takes the local member's answer to one of this connection's requests
    /// (answers to unknown ids, or after closing, are ignored).
    public mutating func onReply(_ reply: ClientReply) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard !isClosed, let owner = owners.removeValue(forKey: reply.id) else { return output }
        let index = owner.entry - firstSequence
        guard entries.indices.contains(index), case .running(var tasks, let combine) = entries[index].state else {
            return output
        }
        if entries[index].usesSession, let token = reply.session, session != nil {
            session!.merge(token)
        }
        if let next = tasks[owner.task].take(reply.outcome, timeToLive: reply.timeToLive) {
            send(next, key: tasks[owner.task].key, expiry: tasks[owner.task].expiry, entry: owner.entry, task: owner.task, &output)
        }
        let replies = tasks.compactMap(\.reply)
        if replies.count == tasks.count {
            entries[index].state = .done(combine.combine(replies))
        } else {
            entries[index].state = .running(tasks, combine)
        }
        advance(&output)
        return output
    }

    /// Takes the user a verified client certificate names: the connection
    /// is that user's (until AUTH names another).
    public mutating func authenticate(certificateUser: String) {
        user = certificateUser
    }

    /// Takes the shell's answer to ``ConnectionOutput/authentication``:
    /// whether the password is the user's. Accepted, the connection is the
    /// user's from the next command on; refused, it gets WRONGPASS and
    /// nothing changes.
    public mutating func onAuthentication(accepted: Bool) -> ConnectionOutput {
        var output = ConnectionOutput()
        guard !isClosed, let (sequence, request) = authenticating else { return output }
        authenticating = nil
        let index = sequence - firstSequence
        guard entries.indices.contains(index) else { return output }
        var reply = RedisError.wrongPassword.reply
        if accepted {
            user = request.user
            reply = .ok
            if case .hello(let version, _, let name) = entries[index].command {
                if let name { self.name = name.count == 0 ? nil : name }
                if let version { protocolVersion = version }
                entries[index].version = protocolVersion
                reply = helloReply
            }
        }
        entries[index].state = .done(reply)
        advance(&output)
        return output
    }

    // MARK: The pipeline

    private struct Entry {
        enum State {
            /// Waiting for earlier commands before its requests go out.
            case waiting
            /// AUTH or HELLO … AUTH waiting for the shell's password check.
            case authenticating
            case running([KeyTask], Combine)
            case done(RESPValue)
        }

        var command: RedisCommand
        var version: RESPVersion
        var consistency: RequestConsistency
        var usesSession: Bool
        var closesAfter = false
        var state: State

        var isDone: Bool {
            if case .done = state { return true }
            return false
        }
    }

    /// How the replies of a command's key tasks make its reply.
    enum Combine: Hashable, Sendable {
        case single
        /// EXISTS, DEL: the sum of the integers.
        case sum
        /// MGET: an array.
        case array
        /// MSET: OK once all are OK.
        case allOK

        func combine(_ replies: [RESPValue]) -> RESPValue {
            switch self {
            case .single: return replies.first ?? .null
            case .array: return .array(replies)
            case .sum, .allOK:
                if let error = replies.first(where: \.isError) { return error }
                if self == .allOK { return .ok }
                return .integer(replies.reduce(0) { sum, reply in
                    if case .integer(let value) = reply { return sum + value }
                    return sum
                })
            }
        }
    }

    private mutating func advance(_ output: inout ConnectionOutput) {
        while true {
            var changed = false
            while !closing, authenticating == nil, openCommandCount < settings.commandsOpenMax, let event = parser.next() {
                arrive(event, &output)
                changed = true
            }
            if startWaiting(&output) { changed = true }
            if flush(&output) { changed = true }
            if isClosed || !changed { return }
        }
    }

    private mutating func arrive(_ event: RequestParser.Event, _ output: inout ConnectionOutput) {
        switch event {
        case .protocolError(let message):
            append(.ping(nil), reply: .error(message), closesAfter: true)
            closing = true
        case .request(let arguments):
            switch CommandParser.parse(arguments) {
            case .failure(let error):
                append(.ping(nil), reply: error.reply)
            case .success(let command):
                arrive(command, &output)
            }
        }
    }

    private mutating func append(_ command: RedisCommand, reply: RESPValue, closesAfter: Bool = false) {
        entries.append(
            Entry(
                command: command, version: protocolVersion, consistency: consistency, usesSession: session != nil,
                closesAfter: closesAfter, state: .done(reply)))
    }

    private mutating func arrive(_ command: RedisCommand, _ output: inout ConnectionOutput) {
        if let refusal = AccessCheck.refusal(command, user: user, control: accessControl) {
            append(command, reply: refusal.reply)
            return
        }
        if accessControl.requiresAuthentication, let credentials = Self.credentials(command) {
            guard let request = AuthenticationRequest(credentials) else {
                append(command, reply: RedisError.wrongPassword.reply)
                return
            }
            entries.append(
                Entry(
                    command: command, version: protocolVersion, consistency: consistency, usesSession: session != nil,
                    state: .authenticating))
            authenticating = (firstSequence + entries.count - 1, request)
            output.authentication = request
            return
        }
        var command = command
        var requestConsistency = consistency
        if case .with(let options, let inner) = command {
            command = inner
            requestConsistency = options.applied(to: consistency, default: settings.defaultConsistency)
        }
        if Self.isStoreCommand(command) || Self.isBarrier(command) {
            if requestConsistency.causal, session == nil, Self.isStoreCommand(command) {
                append(command, reply: Self.causalNeedsSession.reply)
                return
            }
            entries.append(
                Entry(
                    command: command, version: protocolVersion, consistency: requestConsistency,
                    usesSession: session != nil, state: .waiting))
            return
        }
        let reply = execute(command)
        append(command, reply: reply, closesAfter: command == .quit)
        // HELLO's reply is in the version it chose.
        if case .hello = command, !reply.isError { entries[entries.count - 1].version = protocolVersion }
        if command == .quit { closing = true }
    }

    /// The user and password AUTH or HELLO … AUTH gives (AUTH with a
    /// password alone names `default`).
    private static func credentials(_ command: RedisCommand) -> Credentials? {
        switch command {
        case .auth(let user, let password): Credentials(user: user ?? "default", password: password)
        case .hello(_, let credentials, _): credentials
        default: nil
        }
    }

    private static let causalNeedsSession = RedisError("ERR CAUSAL needs a session: CONCORD.SESSION START first")

    /// CONCORD.SESSION TOKEN waits for every earlier command, so that the
    /// token it shows includes their effects.
    private static func isBarrier(_ command: RedisCommand) -> Bool {
        command == .sessionToken
    }

    private static func lists(_ command: RedisCommand) -> Bool {
        switch command {
        case .keys, .scan, .dbSize: true
        case .with(_, let inner): lists(inner)
        default: false
        }
    }

    private static func isStoreCommand(_ command: RedisCommand) -> Bool {
        switch command {
        case .exists, .type, .delete, .ttl, .persist, .expire, .get, .set, .getMany, .setMany, .increment, .setAdd,
            .setRemove, .setMembers, .setIsMember, .setCardinality, .hashSet, .hashGet, .hashDelete, .hashGetAll,
            .hashLength, .siblings, .put, .keys, .scan, .dbSize:
            true
        default: false
        }
    }

    /// Starts every waiting entry that ordering allows; true if any started.
    private mutating func startWaiting(_ output: inout ConnectionOutput) -> Bool {
        var started = false
        var index = head
        while index < entries.count {
            defer { index += 1 }
            guard case .waiting = entries[index].state, mayStart(index) else { continue }
            started = true
            let command = entries[index].command
            if Self.isBarrier(command) {
                entries[index].state = .done(sessionTokenReply)
                continue
            }
            let (tasks, combine) = Self.plan(command)
            var running = tasks
            for task in running.indices {
                let operation = running[task].start()
                send(operation, key: running[task].key, expiry: running[task].expiry, entry: firstSequence + index, task: task, &output)
            }
            entries[index].state = .running(running, combine)
        }
        return started
    }

    private func mayStart(_ index: Int) -> Bool {
        let entry = entries[index]
        // A key listing waits for every earlier command, whose keys it may list.
        let barrier = entry.usesSession || Self.isBarrier(entry.command) || Self.lists(entry.command)
        let keys = Set(entry.command.keys)
        for earlier in entries[head..<index] where !earlier.isDone {
            if barrier || earlier.usesSession { return false }
            guard entry.command.writes || earlier.command.writes else { continue }
            if earlier.command.keys.contains(where: keys.contains) { return false }
        }
        return true
    }

    private mutating func send(
        _ operation: ClientOperation, key: ByteString, expiry: ExpiryChange, entry: Int, task: Int, _ output: inout ConnectionOutput
    ) {
        let requestID = nextRequestID
        nextRequestID += 1
        let index = entry - firstSequence
        owners[requestID] = (entry, task)
        output.requests.append(
            ClientRequest(
                id: requestID, key: key, operation: operation, consistency: entries[index].consistency,
                session: entries[index].usesSession ? session : nil, expiry: operation == .get ? .keep : expiry))
    }

    /// Writes out the finished entries at the head; true if any.
    private mutating func flush(_ output: inout ConnectionOutput) -> Bool {
        var flushed = false
        while head < entries.count, case .done(let reply) = entries[head].state {
            reply.encode(for: entries[head].version, into: &output.bytes)
            flushed = true
            if entries[head].closesAfter {
                output.closes = true
                isClosed = true
                entries = []
                head = 0
                owners = [:]
                return true
            }
            head += 1
        }
        if head > 64, head * 2 > entries.count {
            entries.removeFirst(head)
            firstSequence += head
            head = 0
        }
        return flushed
    }

    // MARK: Store commands

    /// The key tasks of a store command and how their replies combine.
    static func plan(_ command: RedisCommand) -> ([KeyTask], Combine) {
        func one(_ key: ByteString, _ work: KeyTask.Work) -> ([KeyTask], Combine) {
            ([KeyTask(key: key, work: work)], .single)
        }
        switch command {
        case .exists(let keys): return (keys.map { KeyTask(key: $0, work: .read(.exists)) }, .sum)
        case .type(let key): return one(key, .read(.type))
        case .delete(let keys):
            return (KeyTask.unique(keys).map { KeyTask(key: $0, work: .readThenWrite(.delete)) }, .sum)
        case .ttl(let key, let milliseconds): return one(key, .read(.timeToLive(milliseconds: milliseconds)))
        case .keys(let pattern): return one("", .list(KeyTask.Listing(pattern: pattern, type: nil, shows: .keys)))
        case .dbSize: return one("", .list(KeyTask.Listing(pattern: nil, type: nil, shows: .count)))
        case .scan(let cursor, let match, let count, let type):
            return one("", .list(KeyTask.Listing(pattern: match, type: type, shows: .page(cursor: cursor, count: count))))
        case .persist(let key): return one(key, .write(.expire(.clear), .flag))
        case .expire(let key, let change, let condition): return one(key, .write(.expire(change, condition: condition), .flag))
        case .get(let key): return one(key, .read(.string))
        case .set(let key, let value, let options):
            let work: KeyTask.Work =
                options.returnsPrevious
                ? .readThenWrite(.setReturningPrevious(value, options.condition))
                : .write(.put(value, context: .current, condition: options.condition), .ok)
            return ([KeyTask(key: key, work: work, expiry: options.expiryChange)], .single)
        case .getMany(let keys): return (keys.map { KeyTask(key: $0, work: .read(.stringOrNil)) }, .array)
        case .setMany(let pairs):
            var latest: [ByteString: ByteString] = [:]
            for pair in pairs { latest[pair.key] = pair.value }
            let keys = KeyTask.unique(pairs.map(\.key))
            return (keys.map { KeyTask(key: $0, work: .write(.put(latest[$0]!, context: .current), .ok), expiry: .clear) }, .allOK)
        case .increment(let key, let amount): return one(key, .write(.update(.increment(amount)), .counter))
        case .setAdd(let key, let members): return one(key, .readThenWrite(.add(members)))
        case .setRemove(let key, let members): return one(key, .readThenWrite(.remove(members)))
        case .setMembers(let key): return one(key, .read(.members))
        case .setIsMember(let key, let member): return one(key, .read(.isMember(member)))
        case .setCardinality(let key): return one(key, .read(.cardinality))
        case .hashSet(let key, let pairs): return one(key, .readThenWrite(.setFields(pairs)))
        case .hashGet(let key, let field): return one(key, .read(.field(field)))
        case .hashDelete(let key, let fields): return one(key, .readThenWrite(.removeFields(fields)))
        case .hashGetAll(let key): return one(key, .read(.allFields))
        case .hashLength(let key): return one(key, .read(.fieldCount))
        case .siblings(let key): return one(key, .read(.siblings))
        case .put(let key, let value, let context):
            return one(key, .write(.put(value, context: context.map { .provided($0) } ?? .none), .siblings))
        default:
            preconditionFailure("not a store command: \(command)")
        }
    }

    // MARK: Commands answered at once

    private mutating func execute(_ command: RedisCommand) -> RESPValue {
        switch command {
        case .ping(let message):
            if let message { return .bulkString(message.bytes) }
            return .simpleString("PONG")
        case .echo(let message): return .bulkString(message.bytes)
        case .hello(let version, let credentials, let name):
            if let credentials, credentials.user != "default" { return RedisError.wrongPassword.reply }
            if let name { self.name = name.count == 0 ? nil : name }
            if let version { protocolVersion = version }
            return helloReply
        case .auth(let user, _):
            guard let user else { return RedisError.noPasswordConfigured.reply }
            return user == "default" ? .ok : RedisError.wrongPassword.reply
        case .clientSetName(let name):
            self.name = name.count == 0 ? nil : name
            return .ok
        case .clientGetName: return name.map { .bulkString($0.bytes) } ?? .null
        case .clientID: return .integer(id)
        case .clientSetInfo: return .ok
        case .select(let index):
            guard index == 0 else { return RedisError.databaseOutOfRange.reply }
            return .ok
        case .quit: return .ok
        case .command: return .array(CommandTable.all.map(\.info))
        case .commandCount: return .integer(Int64(CommandTable.all.count))
        case .commandDocs(let names):
            let specs = names.isEmpty ? CommandTable.all : names.compactMap { CommandTable.spec($0.bytes) }
            return .map(specs.map { RESPPair(.bulk($0.name), $0.docs) })
        case .commandInfo(let names):
            return .array(names.map { CommandTable.spec($0.bytes)?.info ?? .nullArray })
        case .info: return .verbatim(format: "txt", text: Array(infoText.utf8))
        case .configGet(let names):
            var pairs: [RESPPair] = []
            for name in names {
                let key = String(decoding: name.bytes, as: UTF8.self).lowercased()
                if let value = settings.configuration[key], !pairs.contains(where: { $0.key == .bulk(key) }) {
                    pairs.append(RESPPair(.bulk(key), .bulk(value)))
                }
            }
            return .map(pairs)
        case .consistency(let options):
            guard let options else { return consistencyReply }
            let chosen = options.applied(to: consistency, default: settings.defaultConsistency)
            if chosen.causal, session == nil { return Self.causalNeedsSession.reply }
            consistency = chosen
            return .ok
        case .aclWhoAmI: return .bulkString(Array((user ?? Self.defaultUser).utf8))
        case .aclUsers: return .array(userNames.map { .bulkString(Array($0.utf8)) })
        case .aclHelp: return .array(Self.aclHelpLines.map { .simpleString($0) })
        case .sessionStart, .sessionEnd, .sessionResume: return executeSession(command)
        default:
            return .error("ERR internal: \(command) is not answered at once")
        }
    }

    /// The user a connection is while no user is required (Redis's `default`).
    static let defaultUser = "default"

    /// ACL USERS' reply: the users sorted by their bytes, as Redis lists
    /// its users; while no user is required, `default` (whom every
    /// connection then is, and whom `AUTH default …` accepts) is one of them.
    private var userNames: [String] {
        var names = accessControl.userNames
        if !accessControl.requiresAuthentication, !names.contains(Self.defaultUser) { names.append(Self.defaultUser) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// ACL HELP's lines, in Redis's layout, for the subcommands offered.
    static let aclHelpLines = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ]

    /// CONCORD.SESSION TOKEN's reply: the token in hexadecimal, nil without a session.
    private var sessionTokenReply: RESPValue {
        guard let session else { return .null }
        var writer = BinaryWriter()
        session.encode(to: &writer)
        return .bulkString(Hex.encode(writer.bytes))
    }

    private mutating func executeSession(_ command: RedisCommand) -> RESPValue {
        switch command {
        case .sessionStart:
            if session == nil { session = SessionToken() }
            return .ok
        case .sessionEnd:
            guard !consistency.causal else { return RedisError("ERR the connection's consistency is CAUSAL: choose NOCAUSAL first").reply }
            session = nil
            return .ok
        case .sessionResume(let token):
            if session == nil { session = token } else { session!.merge(token) }
            return .ok
        default:
            return .error("ERR internal: \(command) is not a session command")
        }
    }

    private var helloReply: RESPValue {
        .map([
            RESPPair(.bulk("server"), .bulk(settings.serverName)),
            RESPPair(.bulk("version"), .bulk(Redis.compatibleVersion)),
            RESPPair(.bulk("proto"), .integer(Int64(protocolVersion.rawValue))),
            RESPPair(.bulk("id"), .integer(id)),
            RESPPair(.bulk("mode"), .bulk("standalone")),
            RESPPair(.bulk("role"), .bulk("master")),
            RESPPair(.bulk("modules"), .array([])),
        ])
    }

    private var consistencyReply: RESPValue {
        .map([
            RESPPair(.bulk("n"), consistency.replicas.map { .integer(Int64($0)) } ?? .bulk("default")),
            RESPPair(.bulk("r"), .bulk(consistency.read.description)),
            RESPPair(.bulk("w"), .bulk(consistency.write.description)),
            RESPPair(.bulk("sloppy"), .boolean(consistency.sloppy)),
            RESPPair(.bulk("causal"), .boolean(consistency.causal)),
            RESPPair(.bulk("session"), .boolean(session != nil)),
        ])
    }

    private var infoText: String {
        var lines = [
            "# Server", "redis_version:\(Redis.compatibleVersion)", "concord_version:\(settings.concordVersion)",
            "redis_mode:standalone",
        ]
        lines += settings.infoLines
        lines += ["", "# Keyspace", ""]
        return lines.joined(separator: "\r\n")
    }
}
