import ArgumentParser

/// The `concord` command-line tool.
@main
struct Concord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "Consensus, coordination, CRDTs and transactions, verified in a deterministic simulator.",
        subcommands: [
            SimCommand.self,
            CheckCommand.self,
            HistoryCommand.self,
            MicrobenchCommand.self,
            StorageBenchCommand.self,
            OutboxCommand.self,
            ServerCommand.self,
            DevCommand.self,
            BenchCommand.self,
            BenchPageCommand.self,
            SnapshotCommand.self,
        ]
    )
}
