import ArgumentParser
import ConcordLab

/// `concord microbench`: run one of Concord's micro-benchmarks.
struct MicrobenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "microbench",
        abstract: "Run a micro-benchmark (build with -c release for figures worth recording)."
    )

    @Argument(help: "The benchmark to run; omit it to list them.")
    var name: String?

    func run() throws {
        guard let name else {
            for benchmark in Benchmarks.all {
                print("\(benchmark.name)\t\(benchmark.summary)")
            }
            return
        }
        guard let benchmark = Benchmarks.named(name) else {
            let known = Benchmarks.all.map(\.name).joined(separator: ", ")
            throw ValidationError("no benchmark named '\(name)'; known: \(known)")
        }
        for line in benchmark.run() {
            print(line)
        }
    }
}
