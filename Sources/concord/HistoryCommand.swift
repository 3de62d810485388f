import ArgumentParser

/// `concord history`: make JSON Lines histories for `concord check`, either
/// recorded from a running cluster or generated from a seeded single-copy
/// store.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Record or generate JSON Lines histories for `concord check`.",
        subcommands: [HistoryRecordCommand.self, HistoryRandomCommand.self]
    )
}
