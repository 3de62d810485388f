import ArgumentParser
import ConcordLab

/// `concord sim`: run a scenario in the deterministic simulator.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a scenario in the deterministic simulator."
    )

    @Argument(help: "The scenario to run.")
    var scenario: String

    func run() throws {
        throw ValidationError("the simulator is not built yet")
    }
}
