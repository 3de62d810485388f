/// An append-only log whose versions share structure.
///
/// The simulator's disk takes a node's whole durable state on every write.
/// With a plain array, every append after a write would copy the whole log;
/// here sealed chunks are shared between versions and only the open tail
/// (at most ``chunkRecordsMax`` records) is ever copied.
struct SharedLog<Record: Sendable>: Sendable {
    /// The most records in the open tail before it is sealed into a chunk.
    static var chunkRecordsMax: Int { 64 }

    private final class Chunk: Sendable {
        let records: [Record]
        let previous: Chunk?

        init(records: [Record], previous: Chunk?) {
            self.records = records
            self.previous = previous
        }
    }

    private var sealed: Chunk?
    private var tail: [Record] = []
    /// How many records the log holds.
    private(set) var count = 0

    init() {}

    mutating func append(contentsOf records: [Record]) {
        for record in records {
            tail.append(record)
            if tail.count == Self.chunkRecordsMax {
                sealed = Chunk(records: tail, previous: sealed)
                tail = []
            }
        }
        count += records.count
    }

    /// Every record, oldest first. Costs O(count): for recovery and checks.
    var records: [Record] {
        var chunks: [[Record]] = []
        var chunk = sealed
        while let current = chunk {
            chunks.append(current.records)
            chunk = current.previous
        }
        return chunks.reversed().flatMap { $0 } + tail
    }
}
