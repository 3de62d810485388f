import ConcordChecker
import ConcordKV
import ConcordServerCore
import ConcordSimulation
import ConcordStorage

/// A simulated client of the lease workload. Each cycle it grants a lease,
/// attaches a key of its own to it, renews it a few times through random
/// members (followers forward keep-alives to the leader), and then either
/// revokes it and reads the key back linearizably (it must be gone), or
/// abandons it to expire. What it learns goes to `LeaseRevocationCheck`.
struct ServerLabLeaseClient {
    static let stepTimer = TimerID(1)
    static let timeoutTimer = TimerID(2)

    typealias Context = NodeContext<ServerLabMessage, Storage.SimulatedFileSystem>

    enum Step {
        case grant
        case attach(lease: Int64, key: String)
        case renew(lease: Int64, key: String, left: Int)
        case revoke(lease: Int64, key: String)
        case readBack(lease: Int64, key: String, invokedAt: Int64)
    }

    let id: NodeID
    let settings: ServerLabSettings
    private(set) var record = LeaseRevocationCheck.Record()
    /// Keys attached to leases this client abandoned, with the lease's TTL
    /// in seconds and when the grant was answered (ns of true time).
    private(set) var abandoned: [(key: String, ttlSeconds: Int64, grantedAt: Int64)] = []
    private(set) var unexpected: [String] = []
    private var number: UInt64 = 0
    private var step: Step = .grant
    private var waiting = false
    private var cycle = 0
    private var lastTTL: Int64 = 1
    private var grantedAt: Int64 = 0

    init(id: NodeID, settings: ServerLabSettings, context: inout Context) {
        self.id = id
        self.settings = settings
        context.setTimer(Self.stepTimer, after: .milliseconds(context.random.next(in: 0...50)))
    }

    var isIdle: Bool { !waiting }

    mutating func onTimer(_ timer: TimerID, context: inout Context) {
        switch timer {
        case Self.stepTimer:
            act(&context)
        case Self.timeoutTimer:
            guard waiting else { return }
            waiting = false
            // The request's fate is unknown: start a fresh cycle.
            step = .grant
            scheduleStep(&context)
        default:
            break
        }
    }

    mutating func onMessage(_ message: ServerLabMessage, from: NodeID, context: inout Context) {
        guard case .reply(let answered, let reply) = message, answered == number, waiting else { return }
        context.cancelTimer(Self.timeoutTimer)
        waiting = false
        let now = context.trueTime.nanoseconds
        switch (step, reply.result) {
        case (.grant, .success(.leaseGranted(let lease, let ttl))):
            cycle += 1
            lastTTL = ttl
            grantedAt = now
            step = .attach(lease: lease, key: "lease/\(id)/\(cycle)")
        case (.attach(let lease, let key), .success(.kv)):
            record.attached(key: key, lease: lease)
            step = .renew(lease: lease, key: key, left: context.random.index(below: 3))
        case (.renew(let lease, let key, let left), .success(.leaseRenewed)):
            step = .renew(lease: lease, key: key, left: left - 1)
        case (.revoke(let lease, let key), .success(.leaseRevoked)):
            record.revoked(lease: lease, acknowledgedAt: now)
            step = .readBack(lease: lease, key: key, invokedAt: 0)
        case (.readBack(_, let key, let invokedAt), .success(.range(let response))):
            record.read(key: key, present: !response.kvs.isEmpty, invokedAt: invokedAt, completedAt: now)
            step = .grant
        case (.readBack, .failure):
            // Retry the read; the check needs one.
            break
        case (_, .failure(.lease(.leaseNotFound))):
            // The lease expired first (its renewals were slow): start again.
            step = .grant
        case (_, .failure):
            step = .grant
        default:
            unexpected.append("lease client \(id): \(ServerLabDescription.result(reply.result))")
            step = .grant
        }
        scheduleStep(&context)
    }

    private mutating func act(_ context: inout Context) {
        guard !waiting, context.trueTime < settings.clientsStopAt else { return }
        let request: ClientRequest
        switch step {
        case .grant:
            let ttl = context.random.next(in: settings.leaseTTLSeconds.lowerBound...settings.leaseTTLSeconds.upperBound)
            request = .leaseGrant(id: 0, ttlSeconds: ttl)
        case .attach(let lease, let key):
            request = .write(.put(PutRequest(key: Array(key.utf8), value: Array("held".utf8), lease: lease)))
        case .renew(let lease, let key, let left):
            if left <= 0 {
                if context.random.chance(perMillion: 700_000) {
                    step = .revoke(lease: lease, key: key)
                    request = .leaseRevoke(id: lease)
                } else {
                    abandoned.append((key, lastTTL, grantedAt))
                    step = .grant
                    return scheduleStep(&context)
                }
            } else {
                request = .leaseKeepAlive(id: lease)
            }
        case .revoke(let lease, _):
            request = .leaseRevoke(id: lease)
        case .readBack(let lease, let key, _):
            step = .readBack(lease: lease, key: key, invokedAt: context.trueTime.nanoseconds)
            request = .range(RangeRequest(key: Array(key.utf8)))
        }
        number += 1
        waiting = true
        context.send(.request(number, request), to: settings.servers[context.random.index(below: settings.servers.count)])
        context.setTimer(Self.timeoutTimer, after: settings.clientTimeout)
    }

    private func scheduleStep(_ context: inout Context) {
        let pause = context.random.next(in: 0...settings.thinkTimeMax.nanoseconds * 5)
        context.setTimer(Self.stepTimer, after: .nanoseconds(pause))
    }
}
