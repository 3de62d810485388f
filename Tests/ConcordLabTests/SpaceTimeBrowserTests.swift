import ConcordSimulation
import Foundation
import Testing
@testable import ConcordLab

/// Loads generated space-time pages in a real browser, Debian's headless
/// `chromium`, and checks what its script drew. CI installs chromium
/// (`.ci/run`); without it these tests fail and say so.
@Suite("Space-time page in a real browser", .serialized)
struct SpaceTimeBrowserTests {
    /// How long chromium may take to load, run and dump a page.
    static let browserDeadline = Duration.seconds(120)

    /// Where Debian puts chromium (a wrapper script in /usr/bin, the binary
    /// in /usr/lib/chromium), or the first `chromium` on PATH.
    static func chromium() -> String? {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["CHROMIUM"] { candidates.append(override) }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates += ["\(directory)/chromium", "\(directory)/chromium-browser"]
        }
        candidates += ["/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The DOM of `page` after chromium has loaded it and run its script.
    static func renderedDOM(of page: String, name: String, fragment: String = "") throws -> String {
        guard let browser = chromium() else {
            Issue.record("""
                chromium not found (looked on PATH and in /usr/bin and /usr/lib/chromium): \
                install Debian's package with `apt-get install -y chromium`, as .ci/run does
                """)
            return ""
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-space-time-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("\(name).html")
        try Data(page.utf8).write(to: file)
        let output = directory.appendingPathComponent("dom.html")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(directory.appendingPathComponent("profile").path)", "--window-size=1400,900",
            "--dump-dom", file.absoluteString + fragment,
        ]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + browserDeadline
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("chromium did not finish within \(browserDeadline)")
                return ""
            }
            usleep(50_000)
        }
        try handle.close()
        #expect(process.terminationStatus == 0, "chromium exited with \(process.terminationStatus)")
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    /// The value of `attribute` on the first element that has it.
    static func attribute(_ attribute: String, in dom: String) -> Int? {
        guard let range = dom.range(of: "\(attribute)=\"") else { return nil }
        return Int(dom[range.upperBound...].prefix { $0 != "\"" })
    }

    static func count(_ needle: String, in dom: String) -> Int {
        dom.components(separatedBy: needle).count - 1
    }

    @Test func aFailingRunDrawsItsNodesArrowsOperationsAndBlamedOperation() throws {
        let scenario = Scenarios.named("register")!
        let result = scenario.run(ScenarioOptions(seed: 13, recordTimeline: true, recordEvents: true))
        #expect(!result.passed)
        let recording = try #require(result.recording)
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: "register", summary: scenario.summary, seed: 13), result: result)
        let dom = try Self.renderedDOM(of: page, name: "register-13")
        guard !dom.isEmpty else { return }
        #expect(dom.contains("data-rendered=\"yes\""), "the page's script did not finish")
        #expect(Self.attribute("data-nodes", in: dom) == recording.nodeIDs.count)
        #expect(Self.count("class=\"node-line\"", in: dom) == recording.nodeIDs.count)
        let arrows = Self.attribute("data-arrows", in: dom) ?? 0
        #expect(arrows > 100, "expected the run's messages drawn, got \(arrows)")
        #expect(Self.count("class=\"msg", in: dom) == arrows)
        #expect(Self.attribute("data-operations", in: dom) == result.operations.count)
        #expect(dom.contains("class=\"verdict fail\""))
        #expect(dom.contains("not linearizable"))
        #expect(Self.count("offending", in: dom) >= 1, "the blamed operation is not highlighted")
        #expect(dom.contains("BLAMED operation"), "the blamed operation is not listed")
        for node in recording.nodeIDs {
            #expect(dom.contains("data-node=\"n\(node)\""))
        }
    }

    @Test func theAddressCanZoomAndSearch() throws {
        let scenario = Scenarios.named("register")!
        let result = scenario.run(ScenarioOptions(seed: 13, recordEvents: true))
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: "register", summary: scenario.summary, seed: 13), result: result)
        let whole = try Self.renderedDOM(of: page, name: "register-13-whole")
        let zoomed = try Self.renderedDOM(of: page, name: "register-13-zoomed", fragment: "#q=crash&t=0.4,0.6")
        guard !whole.isEmpty, !zoomed.isEmpty else { return }
        let crashes = result.recording!.events.filter { $0.kind == .crash }
        #expect(!crashes.isEmpty)
        #expect((Self.attribute("data-hits", in: zoomed) ?? 0) >= 1, "the crash in view is not highlighted")
        #expect(zoomed.contains("\(crashes.count) matches"))
        #expect(zoomed.contains("showing 0.400000s – 0.600000s"))
        #expect((Self.attribute("data-arrows", in: zoomed) ?? 0) < (Self.attribute("data-arrows", in: whole) ?? 0))
        #expect(Self.attribute("data-hits", in: whole) == 0)
    }

    @Test func aRunWithCrashesAndPartitionsShadesThem() throws {
        // Raft seed 4 has crashes and a partition in its fault plan.
        let scenario = Scenarios.named("raft")!
        let result = scenario.run(ScenarioOptions(seed: 4, recordEvents: true))
        let recording = try #require(result.recording)
        let page = SpaceTimePage.render(SpaceTimePage.Run(scenario: "raft", summary: scenario.summary, seed: 4), result: result)
        let dom = try Self.renderedDOM(of: page, name: "raft-4")
        guard !dom.isEmpty else { return }
        #expect(dom.contains("class=\"verdict pass\""))
        #expect(Self.attribute("data-nodes", in: dom) == recording.nodeIDs.count)
        #expect((Self.attribute("data-arrows", in: dom) ?? 0) > 0)
        let kinds = Set(recording.events.map(\.kind))
        if kinds.contains(.partition) { #expect(dom.contains("class=\"partition\"")) }
        if kinds.contains(.pause) { #expect(dom.contains("class=\"paused\"")) }
        if kinds.contains(.crash) { #expect(dom.contains("class=\"down\"")) }
        #expect(kinds.contains(.partition) || kinds.contains(.pause) || kinds.contains(.crash))
    }
}
