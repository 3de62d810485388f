import ConcordKV
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// A simulated operator: moves leadership to another member, adds the spare
/// server as a learner, promotes it once it has caught up, and may remove a
/// voter, all through random members, retrying what etcd asks a client to
/// retry (not leader, unhealthy cluster, a learner not yet in sync). On
/// Multi-Paxos, whose replicas are fixed, it asks to remove a voter, which
/// must be refused with `MembershipError.fixedReplicas`, then moves leadership.
struct ServerLabAdmin {
    static let stepTimer = TimerID(1)
    static let timeoutTimer = TimerID(2)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    enum Action: Sendable, Hashable, CustomStringConvertible {
        case moveLeader(to: NodeID)
        case addLearner(NodeID)
        case promote(NodeID)
        case remove(NodeID)

        var description: String {
            switch self {
            case .moveLeader(let target): "move leader to n\(target)"
            case .addLearner(let id): "add n\(id) as a learner"
            case .promote(let id): "promote n\(id)"
            case .remove(let id): "remove n\(id)"
            }
        }
    }

    let id: NodeID
    let settings: ServerLabSettings
    private var actions: [Action]
    private var number: UInt64 = 0
    private var waiting = false
    /// What the admin did, for the report.
    private(set) var done: [Action] = []
    private(set) var unexpected: [String] = []

    init(id: NodeID, settings: ServerLabSettings, context: inout Context) {
        self.id = id
        self.settings = settings
        var actions: [Action] = [.moveLeader(to: settings.founders[context.random.index(below: settings.founders.count)])]
        if let spare = settings.spare {
            actions += [.addLearner(spare), .promote(spare)]
            if context.random.chance(perMillion: 500_000) {
                let voters = settings.servers
                actions.append(.remove(voters[context.random.index(below: voters.count)]))
            }
        }
        if settings.consensus == .multiPaxos {
            // First, so that the refusal is asked for in every run (a move
            // may keep failing under faults until the clients stop).
            actions.insert(.remove(settings.founders[context.random.index(below: settings.founders.count)]), at: 0)
        }
        self.actions = actions
        let start = context.random.next(in: 100_000_000...600_000_000)
        context.setTimer(Self.stepTimer, after: .nanoseconds(start))
    }

    var isIdle: Bool { !waiting }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.stepTimer: act(&context)
        case Self.timeoutTimer:
            guard waiting else { return }
            waiting = false
            retry(&context)
        default: break
        }
    }

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        guard case .reply(let answered, let reply) = message, answered == number, waiting, let action = actions.first else { return }
        context.cancelTimer(Self.timeoutTimer)
        waiting = false
        switch (action, reply.result) {
        case (.remove, .failure(.membership(.fixedReplicas))) where settings.consensus == .multiPaxos:
            // The refusal a fixed group must give.
            done.append(action)
            actions.removeFirst()
            context.log("admin c\(id): \(action) refused as expected: replicas are fixed")
        case (.remove, .success) where settings.consensus == .multiPaxos:
            unexpected.append("admin \(action): a fixed group removed a member")
            actions.removeFirst()
        case (_, .success),
            (.addLearner, .failure(.membership(.memberExists))),
            (.addLearner, .failure(.membership(.peerURLExists))),
            (.promote, .failure(.membership(.memberNotLearner))),
            (.remove, .failure(.membership(.memberNotFound))):
            // Done (a retry found an earlier attempt's effect).
            done.append(action)
            actions.removeFirst()
            context.log("admin c\(id): \(action) done")
        case (_, .failure(.server)), (_, .failure(.membership(.unhealthy))), (_, .failure(.membership(.learnerNotReady))),
            (.promote, .failure(.membership(.memberNotFound))):
            // Retried: a member that has not yet applied the learner's
            // addition does not know it.
            break
        case (_, .failure(let failure)):
            unexpected.append("admin \(action): \(failure.error)")
            actions.removeFirst()
        }
        retry(&context)
    }

    private func retry(_ context: inout Context) {
        context.setTimer(Self.stepTimer, after: .milliseconds(context.random.next(in: 20...100)))
    }

    private mutating func act(_ context: inout Context) {
        guard !waiting, let action = actions.first, context.trueTime < settings.clientsStopAt else { return }
        let request: ClientRequest
        switch action {
        case .moveLeader(let target): request = .moveLeader(to: UInt64(target))
        case .addLearner(let member):
            request = .memberAdd(
                MemberRecord(id: UInt64(member), name: "", peerURLs: [ServerLabSettings.peerURL(member)], clientURLs: [], isLearner: true))
        case .promote(let member): request = .memberPromote(id: UInt64(member))
        case .remove(let member): request = .memberRemove(id: UInt64(member))
        }
        number += 1
        waiting = true
        let servers = settings.servers
        context.send(.request(number, request), to: servers[context.random.index(below: servers.count)])
        context.setTimer(Self.timeoutTimer, after: settings.clientTimeout)
    }
}
