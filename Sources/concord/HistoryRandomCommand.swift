import ArgumentParser
import ConcordChecker
import ConcordFoundation
import Foundation

/// `concord history random`: a seeded history from a correct single-copy
/// store (``RandomKVHistory``), optionally with reads made stale so that it
/// may no longer be linearizable. Used to compare checkers' verdicts on many
/// files.
struct HistoryRandomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random",
        abstract: "Write a seeded kv history from a correct single-copy store as JSON Lines.",
        discussion: """
        With --stale-reads N, N completed reads (chosen by the seed) are changed \
        to return another value written to their key somewhere in the history, or absent: the \
        history may then not be linearizable, which is what a checker must find.
        """
    )

    /// The largest history the command writes.
    static let operationsMax = 10_000_000

    @Option(help: "Operations to invoke.")
    var operations: Int = 10_000

    @Option(help: "Keys they touch.")
    var keys: Int = 5

    @Option(help: "Processes running at once.")
    var processes: Int = 16

    @Option(help: "Out of 1000 operations, how many end indeterminate (info).")
    var infoPerMille: Int = 10

    @Option(help: "Completed reads to change to another value of their key.")
    var staleReads: Int = 0

    @Option(help: "The seed every choice derives from.")
    var seed: UInt64 = 1

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard (0...Self.operationsMax).contains(operations) else { throw ValidationError("--operations must be 0...\(Self.operationsMax)") }
        guard keys >= 1 else { throw ValidationError("--keys must be at least 1") }
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
        guard (0...1000).contains(infoPerMille) else { throw ValidationError("--info-per-mille must be 0...1000") }
        guard staleReads >= 0 else { throw ValidationError("--stale-reads must not be negative") }
    }

    func run() throws {
        let shape = RandomKVHistory.Shape(operations: operations, keys: keys, processes: processes, infoPerMille: infoPerMille)
        var events = RandomKVHistory.events(shape, seed: seed)
        if staleReads > 0 {
            var random = SplitMix64(seed: seed ^ 0x5354_414C_4552_4541)
            Self.makeReadsStale(&events, count: staleReads, using: &random)
        }
        let text: String
        do {
            text = try History(events).jsonLines
        } catch {
            throw ValidationError("the generated history is invalid: \(error)")
        }
        try writeHistory(text, to: output)
    }

    /// Changes `count` completed reads (fewer if there are fewer) to return
    /// another value written to the same key somewhere in the history, or absent.
    static func makeReadsStale(_ events: inout [HistoryEvent], count: Int, using random: inout SplitMix64) {
        var writtenByKey: [String: [String]] = [:]
        var reads: [Int] = []
        for (index, event) in events.enumerated() {
            if event.kind == .invoke, event.function == .put || event.function == .cas, let value = event.value {
                writtenByKey[event.key, default: []].append(value)
            }
            if event.kind == .ok, event.function == .get { reads.append(index) }
        }
        reads.shuffle(using: &random)
        for index in reads.prefix(count) {
            let candidates: [String?] = [nil] + (writtenByKey[events[index].key] ?? []).map { $0 }
            let others = candidates.filter { $0 != events[index].value }
            if let replacement = others.randomElement(using: &random) { events[index].value = replacement }
        }
    }
}

/// Writes a history to `path`, or to standard output when `path` is nil.
func writeHistory(_ text: String, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw ValidationError("cannot write \(path): \(error.localizedDescription)")
    }
}
