import ConcordClocks
import ConcordFoundation
import ConcordSimulation

/// The `clock-sync` scenario: 1 to 3 clients whose oscillators start up to
/// 500 ms off and drift up to 99 ppm synchronize against 3 to 5 time
/// servers (``ClockSyncClient``), over links with jitter, a fixed extra
/// delay in each direction (so asymmetric), loss, duplication and
/// reordering drawn from the seed. In three seeds of four one server is a
/// falseticker, 0.5 to 2 s off while claiming the honest servers' precision.
///
/// After a warm-up of `warmUp`, every client's clock is measured every
/// `measurementInterval` against true time. Checks:
/// - correctness: true time lies in the client's `IntervalClock` interval
///   at every measurement;
/// - accuracy: the client's error stays close to what the links allow. A
///   link whose directions take a and b extra reads a clock off by (a − b)/2
///   however good the algorithm (NTP cannot see asymmetry), so each error is
///   compared with the range of those biases over the honest servers, and
///   its distance from that range must stay within a quarter of the
///   latency jitter at the median and within half of it at the 99th
///   percentile, plus the drift possible over the filter's window and the
///   servers' precision.
/// The verdict reports the offset error's p50 and p99, with the run's delay
/// and asymmetry.
///
/// Bug switches (``ClockSyncBug``): `lowest-offset`, `skip-intersection`.
enum ClockSyncScenario {
    static let runLength = SimulationDuration.seconds(4)
    static let warmUp = SimulationDuration.milliseconds(1_500)
    static let measurementInterval = SimulationDuration.milliseconds(20)
    static let serverPrecision: Int64 = 50_000
    static let driftPartsPerMillion: Int64 = 100

    static let scenario = Scenario(
        name: "clock-sync",
        summary: "NTP-style clock synchronization: filter, Marzullo intersection, falseticker, asymmetric lossy links; "
            + "offset error p50/p99 (bugs: \(ClockSyncBug.allCases.map(\.rawValue).joined(separator: ", ")))"
    ) { options in
        run(options).result
    }

    /// The network a run gets.
    struct Links: Sendable {
        /// The largest extra one-way delay of a link direction.
        var asymmetryMax: SimulationDuration
        var network: NetworkConditions
    }

    /// What one run measured, beyond the result.
    struct Measurement: Sendable {
        var result: ScenarioResult
        /// Absolute offset errors, in nanoseconds, every client, every measurement.
        var errors: [Int64]
        var asymmetryMax: SimulationDuration
        var latencyMax: SimulationDuration
    }

    /// The network of a run, from its seed, unless a study fixes it.
    static func links(seed: UInt64) -> Links {
        var random = SeededRandom(seed: seed ^ 0xC10C_5F9C_0000_0005)
        let asymmetry = SimulationDuration.microseconds([0, 500, 2_000, 5_000, 10_000][random.index(below: 5)])
        let latencyMax = SimulationDuration.microseconds(random.next(in: 500...10_000))
        return Links(asymmetryMax: asymmetry, network: NetworkConditions(
            latencyMin: .microseconds(200), latencyMax: latencyMax,
            lossPerMillion: UInt32(random.next(in: 0...200_000)),
            duplicationPerMillion: UInt32(random.next(in: 0...50_000)),
            reorderPerMillion: UInt32(random.next(in: 0...50_000))))
    }

    static func run(_ options: ScenarioOptions, links fixedLinks: Links? = nil) -> Measurement {
        var bug: ClockSyncBug?
        if let name = options.bug {
            guard let known = ClockSyncBug(rawValue: name) else {
                let result = ScenarioResult(
                    passed: false,
                    verdict: "unknown bug '\(name)'; known: \(ClockSyncBug.allCases.map(\.rawValue).joined(separator: ", "))",
                    traceHash: 0)
                return Measurement(result: result, errors: [], asymmetryMax: .zero, latencyMax: .zero)
            }
            bug = known
        }
        let links = fixedLinks ?? links(seed: options.seed)
        var random = SeededRandom(seed: options.seed ^ 0xC10C_5F9C_0000_0006)
        let servers = Array(1...FaultLimits.clusterSize(seed: options.seed, in: 3...5))
        let clients = Array(101...(100 + Int(random.next(in: 1...3))))
        let falseticker: NodeID? = random.chance(perMillion: 750_000) ? servers.last : nil
        let settings = ClockSyncSettings(
            servers: servers, clients: clients, pollInterval: .milliseconds(200), serverPrecisionNanoseconds: serverPrecision,
            driftPartsPerMillion: driftPartsPerMillion, windowCount: 8, sampleDelayMaxNanoseconds: 1_000_000_000, bug: bug)
        var simulator = Simulator<ClockSyncNode>(
            seed: options.seed, nodeIDs: servers + clients, network: links.network, recordsTrace: options.recordTimeline,
            recordsEvents: options.recordEvents, describeMessage: { $0.description },
            makeNode: { id, _, context in ClockSyncNode(id: id, settings: settings, context: &context) })

        var serverSkew: [NodeID: Int64] = [:]
        for server in servers {
            var skew = random.next(in: -serverPrecision...serverPrecision)
            if server == falseticker {
                skew = random.next(in: 500_000_000...2_000_000_000) * (random.chance(perMillion: 500_000) ? 1 : -1)
            }
            serverSkew[server] = skew
            simulator.setClock(server, skew: .nanoseconds(skew), driftPerMillion: 0)
        }
        for client in clients {
            let skew = random.next(in: -500_000_000...500_000_000)
            let drift = Int32(random.next(in: -(driftPartsPerMillion - 1)...(driftPartsPerMillion - 1)))
            simulator.setClock(client, skew: .nanoseconds(skew), driftPerMillion: drift)
        }
        // Each direction of each client–server link gets its own fixed delay.
        var bias: [NodeID: [Int64]] = [:]
        for client in clients {
            for server in servers {
                let out = random.next(in: 0...links.asymmetryMax.nanoseconds)
                let back = random.next(in: 0...links.asymmetryMax.nanoseconds)
                simulator.apply(.linkDelay(from: client, to: server, .nanoseconds(out)))
                simulator.apply(.linkDelay(from: server, to: client, .nanoseconds(back)))
                if server != falseticker { bias[client, default: []].append(serverSkew[server]! + (out - back) / 2) }
            }
        }

        var errors: [Int64] = []
        var residuals: [Int64] = []
        var misses: [String] = []
        var unsynchronized: Set<NodeID> = []
        var time = SimulationInstant.zero + warmUp
        while time <= SimulationInstant.zero + runLength {
            simulator.run(until: time)
            for client in clients {
                guard let reading = simulator.node(client)?.reading(atLocal: simulator.localTime(of: client)) else {
                    unsynchronized.insert(client)
                    continue
                }
                let error = reading.corrected - time.nanoseconds
                errors.append(abs(error))
                let low = bias[client]!.min()!, high = bias[client]!.max()!
                residuals.append(error < low ? low - error : error > high ? error - high : 0)
                if !reading.interval.contains(time.nanoseconds), misses.count < 3 {
                    misses.append("n\(client) at \(time)s: interval \(reading.interval) misses true time \(time.nanoseconds)")
                }
            }
            time += measurementInterval
        }

        let jitter = links.network.latencyMax.nanoseconds - links.network.latencyMin.nanoseconds
        // The filter may pick a sample as old as its window; the clock drifts
        // meanwhile (this client corrects its offset, not its frequency).
        let windowSpan = settings.pollInterval.nanoseconds * Int64(settings.windowCount + 1)
        let driftAllowance = driftPartsPerMillion * windowSpan / 1_000_000
        let medianAllowance = jitter / 4 + driftAllowance + 2 * serverPrecision
        let tailAllowance = jitter / 2 + driftAllowance + 2 * serverPrecision
        let medianResidual = Self.percentile(residuals, 50), tailResidual = Self.percentile(residuals, 99)
        var problems: [String] = []
        if !unsynchronized.isEmpty {
            problems.append("never synchronized after \(warmUp)s: " + unsynchronized.sorted().map { "n\($0)" }.joined(separator: ", "))
        }
        if !misses.isEmpty { problems.append("true time outside the claimed interval: " + misses.joined(separator: "; ")) }
        if medianResidual > medianAllowance {
            problems.append("median error \(medianResidual) ns beyond what the links' asymmetry explains, more than "
                + "\(medianAllowance) ns")
        }
        if tailResidual > tailAllowance {
            problems.append("p99 error \(tailResidual) ns beyond what the links' asymmetry explains, more than \(tailAllowance) ns")
        }
        let excluded = clients.compactMap { simulator.node($0)?.client?.excluded }.flatMap { $0 }
        let shape = "\(servers.count) servers" + (falseticker.map { " (n\($0) a falseticker \(serverSkew[$0]! / 1_000_000) ms off)" } ?? "")
            + ", \(clients.count) clients; latency \(links.network.latencyMin)-\(links.network.latencyMax)s, "
            + "asymmetry up to \(links.asymmetryMax)s, loss \(links.network.lossPerMillion / 10_000)%"
        let accuracy = "offset error p50 \(Self.microseconds(Self.percentile(errors, 50))) µs, "
            + "p99 \(Self.microseconds(Self.percentile(errors, 99))) µs"
        let verdict = problems.isEmpty
            ? "every client's interval held true time and its error stayed within what the links allow; \(accuracy); "
                + "\(shape)" + (falseticker != nil && excluded.contains(falseticker!) ? "; the falseticker was voted out" : "")
            : problems.joined(separator: "; ") + " (\(accuracy); \(shape))"
        var timeline: [String] = []
        if options.recordTimeline {
            timeline.append("seed \(options.seed): \(shape)")
            timeline += simulator.trace.filter(RegisterScenario.isTimelineLine)
            timeline += problems.map { "VIOLATION: \($0)" }
        }
        let result = ScenarioResult(
            passed: problems.isEmpty, verdict: verdict, timeline: timeline, traceHash: simulator.traceHash,
            recording: simulator.recording)
        return Measurement(result: result, errors: errors, asymmetryMax: links.asymmetryMax, latencyMax: links.network.latencyMax)
    }

    /// The `percent`-th percentile (nearest rank) of `values`, 0 when empty.
    static func percentile(_ values: [Int64], _ percent: Int) -> Int64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = max(1, (percent * sorted.count + 99) / 100)
        return sorted[rank - 1]
    }

    static func microseconds(_ nanoseconds: Int64) -> String { String(nanoseconds / 1_000) }
}
