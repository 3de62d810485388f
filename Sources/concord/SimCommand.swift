import Synchronization
import ArgumentParser
import ConcordLab
import ConcordSimulation
import Foundation

/// `concord sim`: run a scenario in the deterministic simulator, for one seed
/// (with its timeline and verdict) or over many seeds (with a progress bar and
/// the command that replays each failing seed).
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a scenario in the deterministic simulator.",
        discussion: """
            concord sim --list
            concord sim <scenario> --seed N [--no-timeline] [--html run.html]
            concord sim <scenario> --seeds 10000 [--start S] [--html first-failure.html]
            concord sim compare-consensus [--seed N]: Raft and the Paxos family measured side by side
            Exit status: 0 when every run passed, 1 when a run failed.
            """
    )

    /// The most failing seeds a sweep lists one by one.
    static let listedFailuresMax = 20
    /// The least wall time between two redraws of the progress bar.
    static let progressRedrawInterval = Duration.milliseconds(100)

    @Flag(help: "List the scenarios.")
    var list = false

    @Argument(help: "The scenario to run (see --list).")
    var scenario: String?

    @Option(help: "Run one seed and show its timeline and verdict (the default is seed 1).")
    var seed: UInt64?

    @Option(help: "Run this many seeds, from --start, with a progress bar.")
    var seeds: UInt64?

    @Option(help: "The first seed of a sweep.")
    var start: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Show the timeline of a single run (on by default), or of a sweep's first failing seed.")
    var timeline: Bool?

    @Option(help: "Test only: re-introduce the named known bug into the protocol under test.")
    var bug: String?

    @Option(help: "Write the run's space-time diagram to this HTML file (a sweep writes its first failing seed's).")
    var html: String?

    func validate() throws {
        if list { return }
        guard let scenario else {
            throw ValidationError("name a scenario, or use --list to see them")
        }
        if scenario == ConsensusComparison.name {
            guard seeds == nil, bug == nil else {
                throw ValidationError("\(ConsensusComparison.name) takes only --seed")
            }
            return
        }
        guard Scenarios.named(scenario) != nil else {
            throw ValidationError("no scenario named '\(scenario)'; known: \(Self.knownScenarios)")
        }
        if seed != nil && seeds != nil {
            throw ValidationError("--seed runs one seed and --seeds sweeps many: give one of them")
        }
        if let seeds {
            guard seeds > 0 else { throw ValidationError("--seeds must be at least 1") }
            guard start <= UInt64.max - seeds else { throw ValidationError("--start plus --seeds goes past the largest seed") }
        }
    }

    func run() throws {
        if list {
            for scenario in Scenarios.all {
                print("\(scenario.name)\t\(scenario.summary)")
            }
            print("\(ConsensusComparison.name)\t\(ConsensusComparison.summary)")
            return
        }
        if scenario == ConsensusComparison.name {
            for line in ConsensusComparison.report(seed: seed ?? 1) { print(line) }
            fflush(nil)
            return
        }
        // validate() has checked the scenario exists.
        let scenario = Scenarios.named(scenario!)!
        let passed: Bool
        if let seeds {
            passed = try sweep(scenario, seeds: start..<(start + seeds))
        } else {
            passed = try single(scenario, seed: seed ?? 1)
        }
        // Flushes standard output (a pipe buffers it); naming `stdout` itself
        // is not concurrency-safe in Swift 6.
        fflush(nil)
        if !passed { throw ExitCode(1) }
    }

    private func replayCommand(_ scenario: Scenario, seed: UInt64) -> String {
        "concord sim \(scenario.name) --seed \(seed)" + (bug.map { " --bug \($0)" } ?? "")
    }

    private func single(_ scenario: Scenario, seed: UInt64) throws -> Bool {
        let showTimeline = timeline ?? true
        let result = scenario.run(ScenarioOptions(seed: seed, recordTimeline: showTimeline || html != nil, bug: bug, recordEvents: html != nil))
        if let html { try writePage(scenario, seed: seed, result: result, to: html) }
        if showTimeline {
            for line in result.timeline { print(line) }
            if !result.timeline.isEmpty { print("") }
        }
        print("\(scenario.name) seed \(seed): \(result.passed ? "passed" : "FAILED"): \(result.verdict)")
        print("trace hash \(Self.hex(result.traceHash))")
        if !result.passed {
            print("replay: \(replayCommand(scenario, seed: seed))")
        }
        return result.passed
    }

    private func sweep(_ scenario: Scenario, seeds: Range<UInt64>) throws -> Bool {
        let progress = Mutex(ProgressBar(total: seeds.count, redrawInterval: Self.progressRedrawInterval))
        let bug = self.bug
        let failures = Sweep.runInParallel(seeds: seeds, progress: { done, failed in
            progress.withLock { $0.update(done: done, failures: failed) }
        }) { seed in
            let result = scenario.run(ScenarioOptions(seed: seed, recordTimeline: false, bug: bug))
            return result.passed ? nil : result.verdict
        }
        progress.withLock { $0.finish() }
        print("\(scenario.name): \(seeds.count) seeds from \(seeds.lowerBound), \(failures.count) failed")
        for failure in failures.prefix(Self.listedFailuresMax) {
            print("seed \(failure.seed): \(failure.verdict)")
            print("  replay: \(replayCommand(scenario, seed: failure.seed))")
        }
        if failures.count > Self.listedFailuresMax {
            let rest = failures.dropFirst(Self.listedFailuresMax).map { String($0.seed) }
            print("and \(rest.count) more failing seeds: \(rest.prefix(200).joined(separator: " "))\(rest.count > 200 ? " …" : "")")
        }
        if let html {
            if let first = failures.first {
                let result = scenario.run(ScenarioOptions(seed: first.seed, recordTimeline: true, bug: bug, recordEvents: true))
                try writePage(scenario, seed: first.seed, result: result, to: html)
            } else {
                print("no seed failed: no space-time diagram written (run one seed with --seed N --html \(html))")
            }
        }
        if let first = failures.first, timeline == true {
            let result = scenario.run(ScenarioOptions(seed: first.seed, recordTimeline: true, bug: bug))
            print("")
            print("timeline of seed \(first.seed):")
            for line in result.timeline { print(line) }
        }
        return failures.isEmpty
    }

    /// Writes the space-time page of one run and says where; a file that
    /// cannot be written ends the command with status 1.
    private func writePage(_ scenario: Scenario, seed: UInt64, result: ScenarioResult, to path: String) throws {
        let run = SpaceTimePage.Run(scenario: scenario.name, summary: scenario.summary, seed: seed, bug: bug)
        let page = SpaceTimePage.render(run, result: result)
        do {
            try Data(page.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            print("space-time diagram of seed \(seed): \(path)")
        } catch {
            FileHandle.standardError.write(Data("error: cannot write the page to \(path): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        if result.recording == nil {
            print("note: \(scenario.name) hands over no simulator recording; the page shows its verdict, operations and timeline only")
        }
    }

    static var knownScenarios: String {
        Scenarios.all.isEmpty ? "none yet" : Scenarios.all.map(\.name).joined(separator: ", ")
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A one-line progress bar on standard error: redrawn in place on a terminal,
/// printed at every tenth of the way otherwise (so logs stay readable).
struct ProgressBar {
    static let width = 30

    let total: Int
    let redrawInterval: Duration
    let isTerminal = isatty(STDERR_FILENO) != 0
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var lastDrawn: ContinuousClock.Instant?
    var lastTenth = 0

    init(total: Int, redrawInterval: Duration) {
        self.total = total
        self.redrawInterval = redrawInterval
        started = clock.now
    }

    mutating func update(done: Int, failures: Int) {
        let now = clock.now
        if isTerminal {
            if let lastDrawn, now - lastDrawn < redrawInterval, done < total { return }
            lastDrawn = now
            // Carriage return, the line, then erase whatever a longer line left.
            write("\r" + line(done: done, failures: failures, now: now) + "\u{1B}[K")
        } else {
            let tenth = done * 10 / max(total, 1)
            guard tenth > lastTenth || done == total else { return }
            lastTenth = tenth
            write(line(done: done, failures: failures, now: now) + "\n")
        }
    }

    func finish() {
        if isTerminal { write("\n") }
    }

    func line(done: Int, failures: Int, now: ContinuousClock.Instant) -> String {
        let filled = total == 0 ? Self.width : done * Self.width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        let elapsed = now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int((Double(done) / seconds).rounded()) : 0
        return "[\(bar)] \(done)/\(total) seeds, \(failures) failed, \(rate) seeds/s"
    }

    func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
