import ConcordSimulation
import Testing
@testable import ConcordLab

@Suite("Space-time page: every scenario hands over what the diagram draws")
struct SpaceTimePageTests {
    @Test(arguments: Scenarios.all.filter { !$0.isMeasurement }.map(\.name))
    func everyScenarioHandsOverARecordingWhenAsked(_ name: String) {
        let scenario = Scenarios.named(name)!
        let result = scenario.run(ScenarioOptions(seed: 1, recordEvents: true))
        let recording = try! #require(result.recording, "\(name) passed no recording")
        #expect(!recording.nodeIDs.isEmpty)
        #expect(!recording.messages.isEmpty)
        #expect(recording.events.contains { $0.kind == .boot })
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: name, summary: scenario.summary, seed: 1), result: result)
        #expect(page.contains("id=\"run-data\""))
        #expect(page.contains("concord sim \(name) --seed 1"))
        #expect(!page.contains("handed over no simulator recording"))
        // Without the option, no recording is kept.
        #expect(scenario.run(ScenarioOptions(seed: 1)).recording == nil)
    }

    @Test func scenariosWithClientHistoriesHandOverTheirOperations() throws {
        for name in ["register", "raft", "server", "commit-wait"] {
            let scenario = try #require(Scenarios.named(name), "no scenario \(name)")
            let result = scenario.run(ScenarioOptions(seed: 2, recordEvents: true))
            #expect(!result.operations.isEmpty, "\(name)")
            let nodes = Set(result.recording?.nodeIDs ?? [])
            #expect(result.operations.allSatisfy { $0.node.map(nodes.contains) ?? false }, "\(name)")
        }
    }

    @Test func aFailedCheckBlamesTheOperationItCannotPlace() {
        // The flawed register's seed 13 is not linearizable.
        let result = Scenarios.named("register")!.run(ScenarioOptions(seed: 13, recordEvents: true))
        #expect(!result.passed)
        #expect(result.operations.filter(\.isOffending).count == 1)
    }

    @Test func textFromTheRunCannotCloseTheScriptOrBreakTheJSON() {
        let hostile = "</script><script>alert(1)</script> \"quoted\" back\\slash \u{2028} \u{1}"
        let recording = SimulationRecording(
            nodeIDs: [1, 2], messages: [], events: [RecordedEvent(time: .zero, node: 1, kind: .log, text: hostile)], endTime: .zero)
        let operation = RecordedOperation(
            id: 0, process: 7, node: nil, label: hostile, invokedAt: .zero, completedAt: nil, outcome: .open, isOffending: true)
        let result = ScenarioResult(passed: false, verdict: hostile, traceHash: 1, recording: recording, operations: [operation])
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: "x</script>", summary: hostile, seed: 1), result: result)
        #expect(page.components(separatedBy: "</script>").count == 3, "only the two script elements may close")
        let data = page.components(separatedBy: "<script type=\"application/json\" id=\"run-data\">")[1]
            .components(separatedBy: "</script>")[0]
        #expect(data.contains("\\u003c/script\\u003e"))
        #expect(data.contains("\\\"quoted\\\""))
        #expect(data.contains("back\\\\slash"))
        #expect(data.contains("\\u2028"))
        #expect(data.contains("\\u0001"))
        #expect(data.contains("\"nodes\":[1,2]"))
    }

    @Test func aPageWithoutARecordingSaysHowToSupplyOne() {
        let result = ScenarioResult(passed: true, verdict: "fine", timeline: ["0.000000 something"], traceHash: 1)
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: "x", summary: "y", seed: 3), result: result)
        #expect(page.contains("handed over no simulator recording"))
        #expect(page.contains("0.000000 something"))
    }
}
