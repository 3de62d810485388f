import ConcordSimulation

/// The register's coordinator: the one authority on which server is primary
/// and which is backup, one configuration per epoch, kept on its disk and
/// announced only once durable (so a restart never reuses an epoch).
///
/// It changes the configuration only in ways that keep every acknowledged
/// write in the new primary's store:
/// - a member restarted (it may no longer act in the current epoch): the same
///   members in a new epoch, with a fresh install;
/// - the primary fell silent: the backup becomes primary, but only if it
///   reported being installed in the current epoch (it has every write the
///   primary acknowledged);
/// - the backup fell silent: the primary continues alone;
/// - there is no backup and the other server is alive: it becomes backup and
///   the primary installs its whole store on it.
struct RegisterCoordinator {
    let id: NodeID
    let servers: [NodeID]
    var configuration: RegisterConfiguration
    /// The epoch of the last configuration known durable; a newer one is
    /// neither announced nor changed until it is.
    var durableEpoch: UInt64
    /// Reviews since each server's last heartbeat.
    var silentChecks: [NodeID: Int] = [:]
    var reports: [NodeID: Report] = [:]

    struct Report {
        var epoch: UInt64
        var blockedThrough: UInt64
        var installedBackup: Bool
    }

    init(id: NodeID, servers: [NodeID], durable: RegisterDurableState?, context: inout RegisterContext) {
        precondition(servers.count == 2, "the register runs one primary and one backup")
        self.id = id
        self.servers = servers
        if case .coordinator(let configuration) = durable {
            self.configuration = configuration
        } else {
            // The first configuration is fixed, so it needs no disk write.
            configuration = RegisterConfiguration(epoch: 1, primary: servers[0], backup: servers[1])
        }
        durableEpoch = configuration.epoch
        for server in servers { silentChecks[server] = 0 }
        context.log("coordinator: \(configuration)")
        context.setTimer(RegisterTimings.checkTimer, after: RegisterTimings.checkInterval)
    }

    mutating func onMessage(_ message: RegisterMessage, from: NodeID, context: inout RegisterContext) {
        guard case .heartbeat(let epoch, let blockedThrough, let installedBackup) = message, servers.contains(from) else { return }
        silentChecks[from] = 0
        reports[from] = Report(epoch: epoch, blockedThrough: blockedThrough, installedBackup: installedBackup)
        if durableEpoch == configuration.epoch && epoch < configuration.epoch {
            context.send(.configuration(configuration), to: from)
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout RegisterContext) {
        guard timer == RegisterTimings.checkTimer else { return }
        for server in servers { silentChecks[server, default: 0] += 1 }
        review(&context)
        context.setTimer(RegisterTimings.checkTimer, after: RegisterTimings.checkInterval)
    }

    mutating func onDurable(_ token: PersistToken, context: inout RegisterContext) {
        guard durableEpoch < configuration.epoch else { return }
        durableEpoch = configuration.epoch
        for server in servers {
            context.send(.configuration(configuration), to: server)
        }
    }

    private func isAlive(_ server: NodeID) -> Bool {
        silentChecks[server, default: 0] < RegisterTimings.silentChecksMax
    }

    private func restarted(_ server: NodeID) -> Bool {
        (reports[server]?.blockedThrough ?? 0) >= configuration.epoch
    }

    private mutating func review(_ context: inout RegisterContext) {
        guard durableEpoch == configuration.epoch else { return }
        let current = configuration
        let primary = current.primary
        let other = servers.first { $0 != primary }!
        var next: RegisterConfiguration?
        var reason = ""
        if restarted(primary) || current.backup.map(restarted) == true {
            next = RegisterConfiguration(epoch: current.epoch + 1, primary: primary, backup: current.backup)
            reason = "a member restarted"
        } else if !isAlive(primary), let backup = current.backup, isAlive(backup),
            let report = reports[backup], report.epoch == current.epoch, report.installedBackup
        {
            next = RegisterConfiguration(epoch: current.epoch + 1, primary: backup, backup: nil)
            reason = "n\(primary) is silent"
        } else if let backup = current.backup, !isAlive(backup), isAlive(primary) {
            next = RegisterConfiguration(epoch: current.epoch + 1, primary: primary, backup: nil)
            reason = "n\(backup) is silent"
        } else if current.backup == nil, isAlive(primary), isAlive(other) {
            next = RegisterConfiguration(epoch: current.epoch + 1, primary: primary, backup: other)
            reason = "n\(other) is back"
        }
        guard let next else { return }
        configuration = next
        context.log("coordinator: \(next) (\(reason))")
        _ = context.persist(.coordinator(next))
    }
}
