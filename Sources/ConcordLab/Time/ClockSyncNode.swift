import ConcordClocks
import ConcordSimulation

/// The bugs the `clock-sync` scenario can re-introduce into its clients.
enum ClockSyncBug: String, CaseIterable, Sendable {
    /// The clock filter trusts the sample with the lowest offset instead of
    /// the one with the lowest round-trip delay (RFC 5905 §10 picks the
    /// lowest delay, whose error bound is smallest): samples whose reply was
    /// held up look like a clock behind, and win.
    case lowestOffset = "lowest-offset"
    /// No intersection: every server is combined, the falseticker included,
    /// which drags the clock away by its share of the falseticker's error.
    case skipIntersection = "skip-intersection"
}

/// What clients and time servers send.
enum ClockSyncMessage: Sendable, CustomStringConvertible {
    /// A client's request, sent at `t1` on its clock.
    case request(id: Int, t1: Int64)
    /// A server's reply: received at `t2`, answered at `t3`, on its clock.
    case reply(id: Int, t1: Int64, t2: Int64, t3: Int64)

    var description: String {
        switch self {
        case .request(let id, let t1): "time? #\(id) t1=\(t1)"
        case .reply(let id, let t1, let t2, let t3): "time #\(id) t1=\(t1) t2=\(t2) t3=\(t3)"
        }
    }
}

/// How a run's clients synchronize, drawn from the seed.
struct ClockSyncSettings: Sendable {
    var servers: [NodeID]
    var clients: [NodeID]
    /// How often a client polls every server, on its own clock.
    var pollInterval: SimulationDuration
    /// The precision every server claims (its clock's error bound).
    var serverPrecisionNanoseconds: Int64
    /// The drift bound clients assume (their real drift stays within it).
    var driftPartsPerMillion: Int64
    /// The clock filter's window and its largest accepted delay.
    var windowCount: Int
    var sampleDelayMaxNanoseconds: Int64
    var bug: ClockSyncBug?
}

/// A time server: answers every request with its own clock's readings.
/// Its clock may be wrong (a falseticker); it cannot tell.
struct ClockSyncServer: Sendable {}

/// A client that disciplines its clock NTP-style: it polls every server,
/// keeps each server's samples in a `ClockSampleFilter`, takes each server's
/// best sample as an interval certain to hold the offset (its round-trip
/// delay, the server's precision and the drift since the sample widen it),
/// keeps the servers whose intervals agree in `Marzullo`'s intersection
/// (a majority is required), combines their offsets weighted by the inverse
/// of their half-widths (RFC 5905 §11.2.3), and synchronizes its
/// `IntervalClock` to the result, with the agreed interval as uncertainty.
struct ClockSyncClient: Sendable {
    var filters: [NodeID: ClockSampleFilter] = [:]
    var pending: [Int: NodeID] = [:]
    var nextRequest = 0
    var clock: IntervalClock<ManualClock>
    var isSynchronized = false
    var rejectedSamples = 0
    var synchronizations = 0
    /// Servers left out by the last intersection.
    var excluded: [NodeID] = []
}

/// A node of the `clock-sync` scenario.
struct ClockSyncNode: SimulatedNode {
    typealias Message = ClockSyncMessage
    typealias DurableState = Never

    static let pollTimer = TimerID(1)

    let id: NodeID
    let settings: ClockSyncSettings
    var client: ClockSyncClient?

    init(id: NodeID, durable: Never?, context: inout NodeContext<Message, Never>) {
        preconditionFailure("built by ClockSyncScenario with its settings")
    }

    init(id: NodeID, settings: ClockSyncSettings, context: inout NodeContext<Message, Never>) {
        self.id = id
        self.settings = settings
        if settings.clients.contains(id) {
            var client = ClockSyncClient(clock: IntervalClock(
                physicalClock: ManualClock(nanoseconds: context.now.nanoseconds), baseUncertaintyNanoseconds: 0,
                driftPartsPerMillion: settings.driftPartsPerMillion))
            for server in settings.servers {
                client.filters[server] = ClockSampleFilter(
                    windowCount: settings.windowCount, maximumDelayNanoseconds: settings.sampleDelayMaxNanoseconds)
            }
            self.client = client
            context.setTimer(Self.pollTimer, after: .milliseconds(1))
        }
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, Never>) {
        guard var client else { return }
        for server in settings.servers {
            let request = client.nextRequest
            client.nextRequest += 1
            client.pending[request] = server
            context.send(.request(id: request, t1: context.now.nanoseconds), to: server)
        }
        self.client = client
        context.setTimer(Self.pollTimer, after: settings.pollInterval)
    }

    mutating func onMessage(_ message: Message, from: NodeID, context: inout NodeContext<Message, Never>) {
        switch message {
        case .request(let id, let t1):
            let now = context.now.nanoseconds
            context.send(.reply(id: id, t1: t1, t2: now, t3: now), to: from)
        case .reply(let request, let t1, let t2, let t3):
            // Each request is answered once: a duplicate or a reply to an
            // unknown request is dropped (NTP's bogus-packet test).
            guard var client, client.pending.removeValue(forKey: request) == from else { return }
            let sample = ClockSample(t1: t1, t2: t2, t3: t3, t4: context.now.nanoseconds)
            do {
                try client.filters[from]!.add(sample)
            } catch {
                client.rejectedSamples += 1
                context.log("sample from n\(from) rejected: \(error)")
            }
            client.clock.physicalClock.nanoseconds = context.now.nanoseconds
            synchronize(&client, context: &context)
            self.client = client
        }
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, Never>) {}

    /// Filter, select (Marzullo), combine, and set the interval clock.
    func synchronize(_ client: inout ClockSyncClient, context: inout NodeContext<Message, Never>) {
        let local = context.now.nanoseconds
        var candidates: [(server: NodeID, offset: Int64, halfWidth: Int64)] = []
        for server in settings.servers {
            guard let filter = client.filters[server] else { continue }
            let chosen: ClockSample?
            if settings.bug == .lowestOffset {
                chosen = filter.window.min { (try? $0.offsetNanoseconds()) ?? 0 < (try? $1.offsetNanoseconds()) ?? 0 }
            } else {
                chosen = filter.best
            }
            guard let chosen, let offset = try? chosen.offsetNanoseconds(), let delay = try? chosen.delayNanoseconds() else {
                continue
            }
            // The offset is certain to within half the round trip, the
            // server's own precision, and what the local clock may have
            // drifted during the exchange and since.
            let age = max(0, local - chosen.t4) + delay
            let drift = (age * settings.driftPartsPerMillion + 999_999) / 1_000_000 + 1
            candidates.append((server, offset, (delay + 1) / 2 + settings.serverPrecisionNanoseconds + drift))
        }
        guard !candidates.isEmpty else { return }
        let intervals = candidates.map {
            UncertaintyInterval(earliestNanoseconds: $0.offset - $0.halfWidth, latestNanoseconds: $0.offset + $0.halfWidth)
        }
        var chosen = candidates
        var agreed: UncertaintyInterval?
        if settings.bug != .skipIntersection {
            guard let agreement = Marzullo.intersect(intervals), agreement.sourceCount * 2 > settings.servers.count else {
                return
            }
            agreed = agreement.interval
            chosen = zip(candidates, intervals).filter {
                $1.earliestNanoseconds <= agreement.interval.earliestNanoseconds
                    && agreement.interval.latestNanoseconds <= $1.latestNanoseconds
            }.map(\.0)
        } else if candidates.count * 2 <= settings.servers.count {
            return
        }
        // Weighted by 1 / half-width, in a fixed-point sum that cannot overflow.
        var weightSum = 0.0
        var weighted = 0.0
        for candidate in chosen {
            let weight = 1.0 / Double(max(1, candidate.halfWidth))
            weightSum += weight
            weighted += weight * Double(candidate.offset)
        }
        let combined = Int64((weighted / weightSum).rounded())
        let uncertainty: Int64
        if let agreed {
            uncertainty = max(combined - agreed.earliestNanoseconds, agreed.latestNanoseconds - combined)
        } else {
            // Without an intersection there is no agreed interval: the best
            // that can be claimed is the tightest single source's half-width.
            uncertainty = chosen.map(\.halfWidth).min()!
        }
        client.excluded = candidates.map(\.server).filter { server in !chosen.contains { $0.server == server } }
        client.clock.synchronize(offsetNanoseconds: combined, uncertaintyNanoseconds: uncertainty)
        client.isSynchronized = true
        client.synchronizations += 1
    }

    /// The client's interval and corrected time at local reading `local`.
    func reading(atLocal local: SimulationInstant) -> (interval: UncertaintyInterval, corrected: Int64)? {
        guard var clock = client?.clock, client?.isSynchronized == true else { return nil }
        clock.physicalClock.nanoseconds = local.nanoseconds
        return (clock.now(), local.nanoseconds + clock.offsetNanoseconds)
    }
}
