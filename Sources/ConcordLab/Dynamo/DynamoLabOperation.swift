import ConcordClocks
import ConcordDynamo
import ConcordSimulation

/// What a lab client did to a key.
enum DynamoLabAction: Sendable, Hashable, CustomStringConvertible {
    case get
    case put(String)
    case delete
    case increment(Int64)
    case add(String)
    case remove(String)

    var isWrite: Bool {
        if case .get = self { return false }
        return true
    }

    var description: String {
        switch self {
        case .get: "get"
        case .put(let value): "put \(value)"
        case .delete: "delete"
        case .increment(let amount): "incr \(amount)"
        case .add(let element): "sadd \(element)"
        case .remove(let element): "srem \(element)"
        }
    }
}

/// One operation a lab client issued, with what it knew when it issued it.
struct DynamoLabOperation: Sendable {
    var key: String
    var action: DynamoLabAction
    var consistency: RequestConsistency
    /// The values of the key the write's context covers (what the writer
    /// had seen and so may supersede).
    var known: Set<String>
    /// The member the request went to.
    var target: NodeID
}

/// What an operation returned.
enum DynamoLabResult: Sendable, Hashable {
    /// A read of a sibling or last-writer-wins key: the values, and whether a
    /// deletion is among the siblings.
    case values([String], deleted: Bool)
    /// A counter's value.
    case counter(Int64)
    /// A set's elements.
    case set([String])
    /// A write: the coordinator's copy after it.
    case written([String])
    /// A conditional write found its condition false.
    case notWritten
}

/// One operation of a lab client's history.
struct DynamoLabRecord: Sendable {
    enum Outcome: Sendable, Hashable {
        case ok, fail, info
    }

    /// The checker's process: the client, renumbered after every `info`.
    var process: Int
    var client: Int
    var operation: DynamoLabOperation
    var invoked: SimulationInstant
    var completed: SimulationInstant?
    var outcome: Outcome
    var result: DynamoLabResult?
}

/// Values the lab writes carry a Lamport number, so that among concurrent
/// siblings every reader picks the same *representative* (the greatest)
/// and the order of representatives extends causality: a write's number
/// exceeds that of every value its writer had seen.
enum DynamoLabValue {
    static func make(lamport: Int, client: Int, sequence: Int) -> String {
        "L\(lamport)-c\(client)-\(sequence)"
    }

    /// The order key of a value written by the lab.
    static func rank(_ value: String) -> (Int, Int, Int) {
        let parts = value.dropFirst().split(separator: "-")
        guard parts.count == 3, let lamport = Int(parts[0]), let client = Int(parts[1].dropFirst()),
            let sequence = Int(parts[2])
        else { return (0, 0, 0) }
        return (lamport, client, sequence)
    }

    static func lamport(_ value: String) -> Int { rank(value).0 }

    /// The representative of concurrent values: the greatest.
    static func representative(_ values: [String]) -> String? {
        values.max { rank($0) < rank($1) }
    }
}

extension ByteString {
    var text: String { String(decoding: bytes, as: UTF8.self) }
}
