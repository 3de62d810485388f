import ArgumentParser
import ConcordLab
import Foundation

/// `concord bench-page`: one HTML page from the `--json` output of several
/// `concord bench` runs, for example both sides of bench/vs-etcd.sh.
struct BenchPageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-page",
        abstract: "Draw `concord bench --json` runs (JSON Lines files) on one self-contained HTML page.",
        discussion: """
        Runs are grouped by workload and client count; each side (the runs' \
        --label) gets its own colour. Lines that are not runs (such as a \
        script's record of a failed run) are counted and skipped.
        """
    )

    @Argument(help: "JSON Lines files of `concord bench --json` output.")
    var files: [String]

    @Option(help: "The HTML file to write.")
    var output: String

    @Option(help: "The page's title.")
    var title: String = "concord bench"

    func run() throws {
        var runs: [BenchRun] = []
        var skipped = 0
        let decoder = JSONDecoder()
        for file in files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            for line in text.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
                if let run = try? decoder.decode(BenchRun.self, from: Data(line.utf8)) {
                    runs.append(run)
                } else {
                    skipped += 1
                }
            }
        }
        guard !runs.isEmpty else { throw ValidationError("no runs in \(files.joined(separator: ", "))") }
        do {
            try BenchPage.render(runs, title: title).write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print("\(runs.count) runs drawn on \(output)" + (skipped > 0 ? "; \(skipped) lines that are not runs skipped" : ""))
    }
}
