import ConcordFoundation
import ConcordClocks

/// The Paxos labs' replicated key-value state machine (the one the Raft
/// lab used before it ran the server core): a map and a session table that
/// remembers, per client, the last sequence number applied and its result,
/// so that a command retried after a lost answer takes effect once
/// (thesis §6.3, "Implementing linearizable semantics").
struct PaxosLabStateMachine: Sendable, Hashable {
    private(set) var data: [String: String] = [:]
    private(set) var sessions: [UInt64: Session] = [:]

    struct Session: Sendable, Hashable {
        var sequence: UInt64
        var result: PaxosLabKVResult
    }

    /// Applies a command; a duplicate returns the remembered result and
    /// changes nothing. Returns nil for a command older than the session's
    /// last one (its answer is no longer needed: the client moved on).
    mutating func apply(_ command: PaxosLabKVCommand) -> PaxosLabKVResult? {
        if let session = sessions[command.clientID], command.sequence <= session.sequence {
            return command.sequence == session.sequence ? session.result : nil
        }
        let result = execute(command.operation)
        sessions[command.clientID] = Session(sequence: command.sequence, result: result)
        return result
    }

    /// A read served outside the log (after ReadIndex).
    func read(_ key: String) -> String? {
        data[key]
    }

    private mutating func execute(_ operation: PaxosLabKVCommand.Operation) -> PaxosLabKVResult {
        switch operation {
        case .get(let key):
            return .value(data[key])
        case .put(let key, let value):
            data[key] = value
            return .done
        case .delete(let key):
            data[key] = nil
            return .done
        case .cas(let key, let expected, let value):
            guard data[key] == expected else { return .casMismatch }
            data[key] = value
            return .done
        }
    }

    func snapshot() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeFixedWidth(UInt64(data.count))
        for key in data.keys.sorted() {
            writer.writeFixedWidthString(key)
            writer.writeFixedWidthString(data[key]!)
        }
        writer.writeFixedWidth(UInt64(sessions.count))
        for client in sessions.keys.sorted() {
            let session = sessions[client]!
            writer.writeFixedWidth(client)
            writer.writeFixedWidth(session.sequence)
            switch session.result {
            case .done: writer.writeByte(UInt8(0))
            case .value(let value):
                writer.writeByte(UInt8(1))
                writer.writeFixedWidthOptionalString(value)
            case .casMismatch: writer.writeByte(UInt8(2))
            }
        }
        return writer.bytes
    }

    init() {}

    /// Restores a snapshot; empty bytes are the empty state machine.
    init(snapshot bytes: [UInt8]) throws(BinaryDecodingError) {
        guard !bytes.isEmpty else { return }
        var reader = BinaryReader(bytes)
        for _ in 0..<(try reader.readFixedWidthUInt64()) {
            let key = try reader.readFixedWidthString()
            data[key] = try reader.readFixedWidthString()
        }
        for _ in 0..<(try reader.readFixedWidthUInt64()) {
            let client = try reader.readFixedWidthUInt64()
            let sequence = try reader.readFixedWidthUInt64()
            let result: PaxosLabKVResult
            switch try reader.readByte() {
            case 0: result = .done
            case 1: result = .value(try reader.readFixedWidthOptionalString())
            case 2: result = .casMismatch
            case let tag: throw .invalidValue("result tag \(tag)", offset: reader.offset - 1)
            }
            sessions[client] = Session(sequence: sequence, result: result)
        }
        try reader.finish()
    }
}
