import Testing
@testable import ConcordSimulation

@Suite("Simulator: the recording of a run, for space-time diagrams")
struct SimulationRecordingTests {
    static let fixedLatency = NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(2))

    /// A busy PingNode run under every kind of fault.
    static func chaoticRun(seed: UInt64, recordsEvents: Bool, recordsTrace: Bool = true) -> Simulator<PingNode> {
        let nodes = [0, 1, 2, 3, 4]
        var sim = Simulator<PingNode>(seed: seed, nodeIDs: nodes, recordsTrace: recordsTrace, recordsEvents: recordsEvents)
        let plan = FaultPlan.random(seed: seed, nodes: nodes, safetyPhase: .seconds(1), limits: FaultLimits(faultIntervalMax: .milliseconds(100)))
        plan.schedule(on: &sim)
        sim.run(until: .zero + .milliseconds(1_500))
        return sim
    }

    @Test func recordingChangesNeitherTheTraceNorItsHash() {
        for seed: UInt64 in 1...5 {
            let plain = Self.chaoticRun(seed: seed, recordsEvents: false)
            let recorded = Self.chaoticRun(seed: seed, recordsEvents: true)
            #expect(plain.recording == nil)
            #expect(recorded.recording != nil)
            #expect(plain.trace == recorded.trace)
            #expect(plain.traceHash == recorded.traceHash)
        }
    }

    @Test func everyTraceLineOfAMessageHasItsRecord() {
        let sim = Self.chaoticRun(seed: 7, recordsEvents: true)
        let recording = sim.recording!
        #expect(!recording.isTruncated)
        let delivered = recording.messages.filter { $0.fate == .delivered }.count
        let lost = recording.messages.filter { $0.fate == .lost }.count
        // Trace lines "nA->nB ping …" (no drop word) are deliveries.
        let deliveryLines = sim.trace.filter { line in
            let words = line.split(separator: " ")
            return words.count > 1 && words[1].contains("->") && !["dropped", "lost", "duplicated"].contains(words[2])
        }.count
        #expect(delivered == deliveryLines)
        #expect(lost == sim.trace.filter { $0.contains(" lost ") }.count)
        #expect(recording.messages.allSatisfy { $0.fate == .inFlight || $0.endedAt != nil })
        #expect(recording.messages.allSatisfy { message in message.endedAt.map { $0 >= message.sentAt } ?? true })
        let faults = sim.trace.filter { $0.contains(" fault ") && !$0.contains("already") && !$0.contains("not running")
            && !$0.contains("not paused") }.count
        let faultEvents = recording.events.filter { ![.boot, .timer, .durable, .log].contains($0.kind) }.count
        #expect(faultEvents == faults)
        #expect(recording.endTime == sim.now)
    }

    @Test func messagesKeepTheirFates() {
        var sim = Simulator<ProbeNode>(seed: 1, nodeIDs: [0, 1, 2], network: Self.fixedLatency, recordsEvents: true)
        sim.ping(1, from: 0, to: 1)  // delivered, and answered
        sim.block(from: 0, to: 2)
        sim.ping(2, from: 0, to: 2)  // dropped at the block when sent
        sim.heal()
        sim.ping(3, from: 0, to: 2)
        sim.crash(2)  // dropped on arrival: receiver down
        sim.pause(1)
        sim.ping(4, from: 0, to: 1)  // held until the resume
        sim.run(for: .milliseconds(10))
        sim.resume(1)
        sim.setNetwork(NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(2), lossPerMillion: 1_000_000))
        sim.ping(5, from: 0, to: 1)  // lost
        sim.setNetwork(NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(2), duplicationPerMillion: 1_000_000))
        sim.ping(6, from: 0, to: 1)  // two copies
        sim.run(for: .milliseconds(5))  // both copies and the pong to ping(1) arrive
        sim.setNetwork(NetworkConditions(latencyMin: .milliseconds(2), latencyMax: .milliseconds(2), reorderPerMillion: 1_000_000))
        sim.ping(7, from: 0, to: 1)  // held back
        sim.ping(8, from: 0, to: 1)
        sim.run(for: .milliseconds(1))  // 8 is still on its way
        let messages = sim.recording!.messages
        func record(_ text: String) -> [RecordedMessage] { messages.filter { $0.text == text } }
        #expect(record("ping(1)").map(\.fate) == [.delivered])
        // The pong left when n1 resumed, under the duplicating network.
        #expect(!record("pong(1)").isEmpty && record("pong(1)").allSatisfy { $0.fate == .delivered })
        #expect(record("ping(2)").map(\.fate) == [.blocked])
        #expect(record("ping(2)").first?.endedAt == record("ping(2)").first?.sentAt)
        #expect(record("ping(3)").map(\.fate) == [.receiverDown])
        #expect(record("ping(4)").map(\.fate) == [.delivered])
        #expect(record("ping(4)").first?.wasHeldByPause == true)
        #expect(record("ping(4)").first?.endedAt == .zero + .milliseconds(10))
        #expect(record("ping(5)").map(\.fate) == [.lost])
        #expect(record("ping(6)").count == 2)
        #expect(record("ping(6)").allSatisfy { $0.isDuplicate && $0.fate == .delivered })
        #expect(record("ping(7)").allSatisfy { $0.isDelayed })
        #expect(record("ping(8)").map(\.fate) == [.inFlight])
        #expect(messages.map(\.id) == Array(messages.indices))
        let kinds = sim.recording!.events.map(\.kind)
        for kind: RecordedEvent.Kind in [.boot, .block, .heal, .crash, .pause, .resume, .network] {
            #expect(kinds.contains(kind), "\(kind)")
        }
        let block = sim.recording!.events.first { $0.kind == .block }!
        #expect(block.groups == [[0], [2]])
    }

    @Test func theRecordingStopsAtItsBoundAndSaysSo() {
        var recording = SimulationRecording(nodeIDs: [0, 1], itemsMax: 3)
        recording.note(.boot, node: 0, at: .zero, "boot")
        let first = recording.sent(from: 0, to: 1, at: .zero, text: "a", isDuplicate: false, isDelayed: false)
        recording.note(.log, node: 0, at: .zero, "x")
        #expect(!recording.isTruncated)
        let refused = recording.sent(from: 0, to: 1, at: .zero, text: "b", isDuplicate: false, isDelayed: false)
        recording.note(.log, node: 1, at: .zero, "y")
        #expect(refused == -1)
        #expect(recording.isTruncated)
        #expect(recording.messages.count + recording.events.count == 3)
        // Fates of recorded messages are still kept; unrecorded ids are ignored.
        recording.resolve(first, .delivered, at: .zero + .milliseconds(1))
        recording.resolve(refused, .lost, at: .zero)
        #expect(recording.messages[0].fate == .delivered)
        #expect(SimulationRecording(nodeIDs: [0]).itemsMax == SimulationRecording.itemsMaxDefault)
    }

    @Test func aLinkDelayMakesALinkAsymmetric() {
        var sim = Simulator<ProbeNode>(seed: 4, nodeIDs: [0, 1], network: Self.fixedLatency, recordsEvents: true)
        sim.apply(.linkDelay(from: 0, to: 1, .milliseconds(5)))
        sim.ping(1, from: 0, to: 1)
        sim.run(for: .milliseconds(20))
        let messages = sim.recording!.messages
        #expect(messages[0].endedAt! - messages[0].sentAt == .milliseconds(7))
        #expect(messages[1].endedAt! - messages[1].sentAt == .milliseconds(2))
        #expect(sim.trace.contains { $0.contains("fault delay n0->n1 0.005000s") })
        sim.apply(.linkDelay(from: 0, to: 1, .zero))
        sim.ping(2, from: 0, to: 1)
        sim.run(for: .milliseconds(20))
        #expect(sim.recording!.messages[2].endedAt! - sim.recording!.messages[2].sentAt == .milliseconds(2))
    }
}
