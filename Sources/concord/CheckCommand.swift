import ArgumentParser
import ConcordChecker

/// `concord check`: decide whether a recorded history is linearizable.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a JSON Lines history against a consistency model."
    )

    @Argument(help: "The history file.")
    var file: String

    func run() throws {
        throw ValidationError("the checker is not built yet")
    }
}
