import ArgumentParser
import ConcordChecker
import Foundation

/// `concord check`: decide whether a recorded history is linearizable.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a JSON Lines history against a consistency model.",
        discussion: """
        Each line of FILE is one event, in real-time order, for example
          {"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}
        See docs/checker.md for the format.

        Exit status: 0 linearizable (and, with --sessions, no session \
        guarantee violated); 1 not; 2 unknown, FILE missing or invalid, or \
        the report could not be written.
        """
    )

    /// The data types `concord check` knows.
    enum Model: String, ExpressibleByArgument, CaseIterable {
        case kv
    }

    /// How many operations of a partial linearization are printed.
    static let printedPrefixOperationsMax = 20
    /// How many parallel searches check keys at once.
    static let parallelKeysMax = 4

    @Option(help: "The model the history is checked against.")
    var model: Model = .kv

    @Argument(help: "The history file (JSON Lines).")
    var file: String

    @Option(help: "Write an HTML report of the history and the verdict to this file.")
    var html: String?

    @Option(help: "Give up after this many seconds; the verdict is then unknown.")
    var timeout: Double?

    @Option(help: "The most search steps per key before the verdict is unknown.")
    var steps: Int = CheckBudget.searchStepsMaxDefault

    @Flag(help: "Also check the session guarantees (written values must be unique per key).")
    var sessions = false

    func validate() throws {
        if let timeout, !(timeout > 0) || !timeout.isFinite {
            throw ValidationError("--timeout must be a positive number of seconds")
        }
        if steps <= 0 {
            throw ValidationError("--steps must be positive")
        }
    }

    func run() async throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) {
            fail("cannot read \(file): no such file")
        }
        if isDirectory.boolValue {
            fail("cannot read \(file): it is a directory")
        }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            fail("cannot read \(file): \(error.localizedDescription)")
        }
        let history: History
        do {
            history = try History.parseJSONLines(text)
        } catch {
            fail("\(file): \(error)")
        }
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        let budget = CheckBudget(searchStepsMax: steps, deadline: deadline)
        let analysis = await analyzeLinearizabilityInParallel(history, model: .kv, budget: budget, width: Self.parallelKeysMax)
        report(analysis, history)

        var status: Int32 = switch analysis.verdict {
        case .linearizable: 0
        case .notLinearizable: 1
        case .unknown: 2
        }
        if sessions {
            do {
                let sessionReport = try checkSessionGuarantees(history)
                if sessionReport.holds {
                    print("session guarantees: all hold")
                } else {
                    print("session guarantees: \(sessionReport.violations.count) violation\(sessionReport.violations.count == 1 ? "" : "s")")
                    for violation in sessionReport.violations { print(violation.explanation) }
                    if status == 0 { status = 1 }
                }
            } catch {
                print("session guarantees: not checked: \(error)")
                if status == 0 { status = 2 }
            }
        }
        if let html {
            do {
                try HTMLReport.render(history, analysis: analysis, title: "concord check \(file)")
                    .write(toFile: html, atomically: true, encoding: .utf8)
                print("report written to \(html)")
            } catch {
                fail("cannot write \(html): \(error.localizedDescription)")
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    private func report(_ analysis: LinearizabilityAnalysis, _ history: History) {
        let steps = analysis.partitions.reduce(0) { $0 + $1.searchSteps }
        let scope = "\(history.operations.count) operations on \(history.keys.count) key\(history.keys.count == 1 ? "" : "s")"
        switch analysis.verdict {
        case .linearizable:
            print("linearizable: \(scope), \(steps) search steps")
        case .unknown(let reason):
            print("unknown: \(scope): \(reason)")
        case .notLinearizable(let failure):
            print("not linearizable on key \(failure.key ?? "-"): \(scope)")
            print(failure.explanation)
            let prefix = failure.partialLinearization
            print("Longest partial linearization (\(prefix.count) operation\(prefix.count == 1 ? "" : "s")):")
            let shown = prefix.suffix(Self.printedPrefixOperationsMax)
            if shown.count < prefix.count {
                print("  ... \(prefix.count - shown.count) earlier operations")
            }
            for (offset, id) in shown.enumerated() {
                let operation = history.operations[id]
                print("  \(prefix.count - shown.count + offset + 1). \(operation.summary) (operation \(id), process \(operation.process))")
            }
        }
    }

    /// Prints `message` to standard error and exits with status 2.
    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("concord check: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
