import ConcordSimulation

/// A server of the primary–backup register: primary, backup or idle in the
/// epoch the coordinator last told it about.
///
/// Invariants (synchronous replication):
/// - A server acts in an epoch only once that epoch is on its disk, so after a
///   crash it knows every epoch it may have acted in (`blockedThrough`) and
///   never acts in them again.
/// - A backup acknowledges an install or a write only once it is durable, and
///   only for its own epoch: once it moves on, the old primary is fenced.
/// - A primary handles one operation at a time and answers it only after the
///   backup acknowledged it and, for a write, after its own copy is durable.
struct RegisterServer {
    let id: NodeID
    let coordinator: NodeID
    let replication: RegisterReplication
    /// Test-only bug `no-retransmit`: a lost install or replicate is never
    /// sent again, so the primary stalls until the epoch changes.
    let retransmits: Bool
    /// The newest epoch whose configuration this server adopted.
    var epoch: UInt64
    /// Epochs up to this one may have seen this server act before its last
    /// crash; it takes no role in them.
    let blockedThrough: UInt64
    var configuration: RegisterConfiguration?
    var store: [String: String]
    /// The newest epoch known to be on this server's disk.
    var durableEpoch: UInt64
    var role = Role.idle
    /// Actions waiting for a disk write to become durable, in token order.
    var awaitingDurable: [(token: PersistToken, epoch: UInt64, action: DurableAction)] = []

    enum Role {
        case idle
        /// Waiting for the adopted epoch to be durable before acting in it.
        case adopting
        case backup(Backup)
        case primary(Primary)
    }

    struct Backup {
        var installed = false
        /// The last operation applied, and the last one acknowledged.
        var lastApplied: UInt64 = 0
        var lastAcknowledged: UInt64 = 0
    }

    struct Primary {
        /// True once the backup acknowledged the install (or there is none).
        var ready: Bool
        var queue: [(RegisterRequestID, RegisterOperation)] = []
        /// The highest request number seen from each client in this epoch;
        /// anything not above it is a duplicate and is dropped.
        var seen: [NodeID: UInt64] = [:]
        var inFlight: InFlight?
        var nextSequence: UInt64 = 1
        /// Asynchronous replication only: writes answered and not yet
        /// acknowledged by the backup, oldest first.
        var unreplicated: [(sequence: UInt64, operation: RegisterOperation)] = []

        mutating func takeSequence() -> UInt64 {
            defer { nextSequence += 1 }
            return nextSequence
        }
    }

    struct InFlight {
        var request: RegisterRequestID
        var operation: RegisterOperation
        var sequence: UInt64
        var awaitingBackup: Bool
    }

    enum DurableAction {
        case activate(epoch: UInt64)
        case acknowledgeInstall(epoch: UInt64)
        case acknowledgeWrite(epoch: UInt64, sequence: UInt64)
        case answerWrite(epoch: UInt64, request: RegisterRequestID)
    }

    init(
        id: NodeID, coordinator: NodeID, replication: RegisterReplication, retransmits: Bool = true,
        durable: RegisterDurableState?, context: inout RegisterContext
    ) {
        self.id = id
        self.coordinator = coordinator
        self.replication = replication
        self.retransmits = retransmits
        if case .server(let epoch, let store) = durable {
            self.epoch = epoch
            self.store = store
            blockedThrough = epoch
            durableEpoch = epoch
        } else {
            epoch = 0
            store = [:]
            blockedThrough = 0
            durableEpoch = 0
        }
        sendHeartbeat(&context)
    }

    // MARK: Inputs

    mutating func onMessage(_ message: RegisterMessage, from: NodeID, context: inout RegisterContext) {
        switch message {
        case .request(let request, let operation):
            onRequest(request, operation, from: from, context: &context)
        case .configuration(let configuration):
            if configuration.epoch > epoch && configuration.epoch > blockedThrough {
                adopt(configuration, context: &context)
            }
        case .install(let configuration, let installed):
            onInstall(configuration, store: installed, from: from, context: &context)
        case .installed(let installedEpoch):
            guard installedEpoch == epoch, case .primary(var primary) = role, !primary.ready else { return }
            primary.ready = true
            role = .primary(primary)
            context.cancelTimer(RegisterTimings.retransmitTimer)
            context.log("primary of epoch \(epoch) is ready")
            pump(&context)
        case .replicate(let replicateEpoch, let sequence, let operation):
            onReplicate(epoch: replicateEpoch, sequence: sequence, operation, from: from, context: &context)
        case .replicated(let replicatedEpoch, let sequence):
            guard replicatedEpoch == epoch else { return }
            onReplicated(sequence: sequence, context: &context)
        case .reply, .heartbeat:
            break
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout RegisterContext) {
        switch timer {
        case RegisterTimings.heartbeatTimer:
            sendHeartbeat(&context)
        case RegisterTimings.retransmitTimer:
            retransmit(&context)
        default:
            break
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout RegisterContext) {
        while let first = awaitingDurable.first, first.token <= token {
            awaitingDurable.removeFirst()
            durableEpoch = max(durableEpoch, first.epoch)
            perform(first.action, context: &context)
        }
    }

    // MARK: Configuration

    private mutating func adopt(_ configuration: RegisterConfiguration, context: inout RegisterContext) {
        abandonRole(hint: configuration.primary, epoch: configuration.epoch, context: &context)
        epoch = configuration.epoch
        self.configuration = configuration
        role = .adopting
        persistThen(.activate(epoch: epoch), context: &context)
    }

    /// Leaves the current role: queued requests are refused (they never ran,
    /// and a server that was active primary of an epoch never is again); the
    /// operation in flight gets no answer, since it may have reached the
    /// backup.
    private mutating func abandonRole(hint: NodeID?, epoch newEpoch: UInt64, context: inout RegisterContext) {
        if case .primary(let primary) = role {
            for (request, _) in primary.queue {
                context.send(.reply(request, .notPrimary(hint: hint, epoch: newEpoch, definite: true)), to: request.client)
            }
        }
        role = .idle
        context.cancelTimer(RegisterTimings.retransmitTimer)
    }

    private mutating func activate(_ configuration: RegisterConfiguration, context: inout RegisterContext) {
        if configuration.primary == id {
            role = .primary(Primary(ready: configuration.backup == nil))
            context.log("primary of \(configuration)")
            if let backup = configuration.backup {
                context.send(.install(configuration, store: store), to: backup)
                context.setTimer(RegisterTimings.retransmitTimer, after: RegisterTimings.retransmitInterval)
            }
        } else if configuration.backup == id {
            role = .backup(Backup())
        } else {
            role = .idle
        }
    }

    private mutating func onInstall(_ configuration: RegisterConfiguration, store installed: [String: String], from: NodeID, context: inout RegisterContext) {
        guard configuration.backup == id, configuration.epoch >= epoch, configuration.epoch > blockedThrough else { return }
        if configuration.epoch == epoch {
            switch role {
            case .backup(let backup) where backup.installed:
                context.send(.installed(epoch: epoch), to: from)
                return
            case .backup, .adopting:
                break
            case .idle, .primary:
                return
            }
        } else {
            abandonRole(hint: configuration.primary, epoch: configuration.epoch, context: &context)
            epoch = configuration.epoch
            self.configuration = configuration
        }
        // While installing, the primary is not ready and changes nothing, so
        // a repeated install carries the same store.
        store = installed
        role = .backup(Backup())
        context.log("backup of \(configuration), installing \(installed.count) keys")
        persistThen(.acknowledgeInstall(epoch: epoch), context: &context)
    }

    // MARK: Backup

    private mutating func onReplicate(epoch replicateEpoch: UInt64, sequence: UInt64, _ operation: RegisterOperation, from: NodeID, context: inout RegisterContext) {
        guard replicateEpoch == epoch, case .backup(var backup) = role, backup.installed else { return }
        if sequence <= backup.lastAcknowledged {
            context.send(.replicated(epoch: epoch, sequence: sequence), to: from)
            return
        }
        guard sequence == backup.lastApplied + 1 else { return }
        backup.lastApplied = sequence
        switch operation {
        case .get:
            backup.lastAcknowledged = sequence
            role = .backup(backup)
            context.send(.replicated(epoch: epoch, sequence: sequence), to: from)
        case .put(let key, let value):
            store[key] = value
            role = .backup(backup)
            persistThen(.acknowledgeWrite(epoch: epoch, sequence: sequence), context: &context)
        }
    }

    // MARK: Primary

    private mutating func onRequest(_ request: RegisterRequestID, _ operation: RegisterOperation, from: NodeID, context: inout RegisterContext) {
        guard case .primary(var primary) = role, request.epoch == epoch else {
            refuse(request, from: from, context: &context)
            return
        }
        if let last = primary.seen[request.client], request.number <= last { return }
        primary.seen[request.client] = request.number
        guard primary.queue.count < RegisterTimings.queuedRequestsMax else {
            role = .primary(primary)
            context.send(.reply(request, .busy), to: from)
            return
        }
        primary.queue.append((request, operation))
        role = .primary(primary)
        pump(&context)
    }

    /// Refuses a request this server cannot execute now, saying whether it
    /// never will: the request's epoch has no primary (0), or is older than
    /// an epoch on this server's disk (it never acts in such an epoch again),
    /// or is the epoch on its disk with another server as primary.
    private func refuse(_ request: RegisterRequestID, from: NodeID, context: inout RegisterContext) {
        let definite = request.epoch == 0
            || durableEpoch > request.epoch
            || (durableEpoch == request.epoch && epoch == request.epoch && configuration?.primary != id)
        let reply = RegisterReply.notPrimary(hint: configuration?.primary, epoch: configuration?.epoch ?? 0, definite: definite)
        context.send(.reply(request, reply), to: from)
    }

    /// Starts the next queued operation if the primary is idle. Only
    /// operations sent to the backup take a sequence number, so the backup
    /// sees no gaps.
    private mutating func pump(_ context: inout RegisterContext) {
        guard case .primary(var primary) = role, primary.ready, primary.inFlight == nil, !primary.queue.isEmpty else { return }
        let (request, operation) = primary.queue.removeFirst()
        let backup = configuration?.backup
        var isRead = false
        if case .get = operation { isRead = true }
        switch replication {
        case .synchronous, .synchronousWithLocalReads:
            let confirmed = backup != nil && !(isRead && replication == .synchronousWithLocalReads)
            let sequence = confirmed ? primary.takeSequence() : 0
            primary.inFlight = InFlight(request: request, operation: operation, sequence: sequence, awaitingBackup: confirmed)
            role = .primary(primary)
            if confirmed, let backup {
                context.send(.replicate(epoch: epoch, sequence: sequence, operation), to: backup)
                context.setTimer(RegisterTimings.retransmitTimer, after: RegisterTimings.retransmitInterval)
            } else {
                execute(&context)
            }
        case .asynchronous:
            var sequence: UInt64 = 0
            if !isRead, let backup {
                sequence = primary.takeSequence()
                primary.unreplicated.append((sequence, operation))
                if primary.unreplicated.count == 1 {
                    context.send(.replicate(epoch: epoch, sequence: sequence, operation), to: backup)
                    context.setTimer(RegisterTimings.retransmitTimer, after: RegisterTimings.retransmitInterval)
                }
            }
            primary.inFlight = InFlight(request: request, operation: operation, sequence: sequence, awaitingBackup: false)
            role = .primary(primary)
            execute(&context)
        }
    }

    /// Applies the operation in flight to the primary's copy and answers it
    /// (a write once durable).
    private mutating func execute(_ context: inout RegisterContext) {
        guard case .primary(var primary) = role, var inFlight = primary.inFlight else { return }
        inFlight.awaitingBackup = false
        switch inFlight.operation {
        case .get(let key):
            context.send(.reply(inFlight.request, .value(store[key])), to: inFlight.request.client)
            primary.inFlight = nil
            role = .primary(primary)
            pump(&context)
        case .put(let key, let value):
            store[key] = value
            primary.inFlight = inFlight
            role = .primary(primary)
            persistThen(.answerWrite(epoch: epoch, request: inFlight.request), context: &context)
        }
    }

    private mutating func onReplicated(sequence: UInt64, context: inout RegisterContext) {
        guard case .primary(var primary) = role else { return }
        switch replication {
        case .synchronous, .synchronousWithLocalReads:
            guard let inFlight = primary.inFlight, inFlight.awaitingBackup, inFlight.sequence == sequence else { return }
            context.cancelTimer(RegisterTimings.retransmitTimer)
            execute(&context)
        case .asynchronous:
            guard primary.unreplicated.first?.sequence == sequence else { return }
            primary.unreplicated.removeFirst()
            role = .primary(primary)
            context.cancelTimer(RegisterTimings.retransmitTimer)
            if let next = primary.unreplicated.first, let backup = configuration?.backup {
                context.send(.replicate(epoch: epoch, sequence: next.sequence, next.operation), to: backup)
                context.setTimer(RegisterTimings.retransmitTimer, after: RegisterTimings.retransmitInterval)
            }
        }
    }

    private mutating func retransmit(_ context: inout RegisterContext) {
        guard retransmits, case .primary(let primary) = role, let configuration, let backup = configuration.backup else { return }
        if !primary.ready {
            context.send(.install(configuration, store: store), to: backup)
        } else if let inFlight = primary.inFlight, inFlight.awaitingBackup {
            context.send(.replicate(epoch: epoch, sequence: inFlight.sequence, inFlight.operation), to: backup)
        } else if let next = primary.unreplicated.first {
            context.send(.replicate(epoch: epoch, sequence: next.sequence, next.operation), to: backup)
        } else {
            return
        }
        context.setTimer(RegisterTimings.retransmitTimer, after: RegisterTimings.retransmitInterval)
    }

    // MARK: Durability

    private mutating func persistThen(_ action: DurableAction, context: inout RegisterContext) {
        let token = context.persist(.server(epoch: epoch, store: store))
        awaitingDurable.append((token, epoch, action))
    }

    private mutating func perform(_ action: DurableAction, context: inout RegisterContext) {
        switch action {
        case .activate(let activated):
            guard activated == epoch, case .adopting = role, let configuration else { return }
            activate(configuration, context: &context)
        case .acknowledgeInstall(let installedEpoch):
            guard installedEpoch == epoch, case .backup(var backup) = role, let primary = configuration?.primary else { return }
            backup.installed = true
            role = .backup(backup)
            context.send(.installed(epoch: epoch), to: primary)
        case .acknowledgeWrite(let writeEpoch, let sequence):
            guard writeEpoch == epoch, case .backup(var backup) = role, let primary = configuration?.primary else { return }
            backup.lastAcknowledged = max(backup.lastAcknowledged, sequence)
            role = .backup(backup)
            context.send(.replicated(epoch: epoch, sequence: sequence), to: primary)
        case .answerWrite(let writeEpoch, let request):
            guard writeEpoch == epoch, case .primary(var primary) = role, let inFlight = primary.inFlight, inFlight.request == request else { return }
            context.send(.reply(inFlight.request, .written), to: inFlight.request.client)
            primary.inFlight = nil
            role = .primary(primary)
            pump(&context)
        }
    }

    private func sendHeartbeat(_ context: inout RegisterContext) {
        var installed = false
        if case .backup(let backup) = role { installed = backup.installed }
        context.send(.heartbeat(epoch: epoch, blockedThrough: blockedThrough, installedBackup: installed), to: coordinator)
        context.setTimer(RegisterTimings.heartbeatTimer, after: RegisterTimings.heartbeatInterval)
    }
}
