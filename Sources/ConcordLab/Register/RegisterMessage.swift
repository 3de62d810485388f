import ConcordSimulation

/// What a client asks of the register store.
enum RegisterOperation: Sendable, Hashable, CustomStringConvertible {
    case get(key: String)
    case put(key: String, value: String)

    var key: String {
        switch self {
        case .get(let key), .put(let key, _): key
        }
    }

    var description: String {
        switch self {
        case .get(let key): "get \(key)"
        case .put(let key, let value): "put \(key)=\(value)"
        }
    }
}

/// Which server is primary and which (if any) is backup, in one epoch. The
/// coordinator assigns exactly one configuration to each epoch, so any
/// message carrying a configuration may spread it.
struct RegisterConfiguration: Sendable, Hashable, CustomStringConvertible {
    var epoch: UInt64
    var primary: NodeID
    var backup: NodeID?

    var description: String {
        "epoch \(epoch): primary n\(primary), backup \(backup.map { "n\($0)" } ?? "none")"
    }
}

/// Names one client request, so that a late reply to an earlier request is
/// recognized and ignored, and a duplicated request runs at most once.
///
/// A request also names the epoch the client believes current: only the
/// primary of that very epoch executes it. A server is primary of an epoch in
/// at most one incarnation, so its in-memory record of the requests it has
/// seen in that epoch is enough to run each request at most once.
struct RegisterRequestID: Sendable, Hashable, CustomStringConvertible {
    var client: NodeID
    /// Increases with every request of the client.
    var number: UInt64
    /// The epoch whose primary may execute the request (0: none known).
    var epoch: UInt64

    var description: String { "#\(client).\(number)@e\(epoch)" }
}

/// A server's answer to a client.
enum RegisterReply: Sendable, Hashable {
    /// A get's result (nil: the key is absent).
    case value(String?)
    /// A put took effect.
    case written
    /// This server did not execute the request: it is not the active primary
    /// of the request's epoch. `definite` says it never will be (so a
    /// duplicate of the request cannot run later either): the client may
    /// record a failure. Otherwise the outcome is unknown. `epoch` and `hint`
    /// are this server's view of the current configuration.
    case notPrimary(hint: NodeID?, epoch: UInt64, definite: Bool)
    /// The primary's queue is full; the request was not executed and, being
    /// recorded as seen, never will be.
    case busy
}

/// Everything the register's nodes send one another.
enum RegisterMessage: Sendable, CustomStringConvertible {
    /// Client to server.
    case request(RegisterRequestID, RegisterOperation)
    /// Server to client.
    case reply(RegisterRequestID, RegisterReply)
    /// Server to coordinator: I am alive, in `epoch`; after my last crash I
    /// may take no role in any epoch up to `blockedThrough`; I am (or not)
    /// the installed backup of `epoch`.
    case heartbeat(epoch: UInt64, blockedThrough: UInt64, installedBackup: Bool)
    /// Coordinator to server: the current configuration.
    case configuration(RegisterConfiguration)
    /// Primary to backup at the start of an epoch: the whole store.
    case install(RegisterConfiguration, store: [String: String])
    /// Backup to primary: the install of `epoch` is durable.
    case installed(epoch: UInt64)
    /// Primary to backup: apply operation number `sequence` of `epoch`.
    case replicate(epoch: UInt64, sequence: UInt64, RegisterOperation)
    /// Backup to primary: operation `sequence` of `epoch` is applied and durable.
    case replicated(epoch: UInt64, sequence: UInt64)

    /// Deterministic and short: the store's contents are never listed (a
    /// dictionary's order differs between processes).
    var description: String {
        switch self {
        case .request(let id, let operation): "request \(id) \(operation)"
        case .reply(let id, let reply): "reply \(id) \(reply)"
        case .heartbeat(let epoch, let blocked, let installed):
            "heartbeat epoch \(epoch)" + (blocked > 0 ? " blocked≤\(blocked)" : "") + (installed ? " installed" : "")
        case .configuration(let configuration): "configuration \(configuration)"
        case .install(let configuration, let store): "install epoch \(configuration.epoch) (\(store.count) keys)"
        case .installed(let epoch): "installed epoch \(epoch)"
        case .replicate(let epoch, let sequence, let operation): "replicate e\(epoch)#\(sequence) \(operation)"
        case .replicated(let epoch, let sequence): "replicated e\(epoch)#\(sequence)"
        }
    }
}

/// What each kind of node keeps on its disk.
enum RegisterDurableState: Sendable {
    /// A server's epoch and store.
    case server(epoch: UInt64, store: [String: String])
    /// The coordinator's configuration.
    case coordinator(RegisterConfiguration)
}

/// How the primary replicates: the flaw under demonstration, or its fix.
enum RegisterReplication: String, Sendable {
    /// The primary answers from its own copy at once and forwards writes to
    /// the backup in the background. Known flaw: a failover loses writes the
    /// backup had not received, and a deposed primary that has not heard of
    /// the failover keeps answering with stale data.
    case asynchronous
    /// Every operation, reads included, is confirmed by the backup of the
    /// primary's epoch before it is answered; a backup that has moved to a
    /// newer epoch refuses, which fences a deposed primary.
    case synchronous
    /// Test-only bug `local-reads`: writes as `synchronous`, but reads are
    /// answered from the primary's copy without the backup's confirmation, so
    /// a deposed primary that has not heard of the failover reads stale data.
    case synchronousWithLocalReads
}

typealias RegisterContext = NodeContext<RegisterMessage, RegisterDurableState>
