/// A server's record of the clients waiting for their writes (or, through
/// the log, reads) to be applied: by client session, the sequence number
/// and the client node to answer.
struct PaxosLabWaitingClients {
    private var waiting: [UInt64: (sequence: UInt64, client: Int)] = [:]

    mutating func wait(_ command: PaxosLabKVCommand, client: Int) {
        waiting[command.clientID] = (command.sequence, client)
    }

    /// The client to answer for `command`, which was applied; forgets it.
    mutating func take(_ command: PaxosLabKVCommand) -> Int? {
        guard let entry = waiting[command.clientID], entry.sequence == command.sequence else { return nil }
        waiting[command.clientID] = nil
        return entry.client
    }
}
