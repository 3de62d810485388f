/// A client write that ``RaftLabServerCore`` batches into a proposal: its
/// client session and sequence number (to answer the client once applied)
/// and the log entry payload.
protocol RaftLabWrite {
    var clientID: UInt64 { get }
    var sequence: UInt64 { get }
    /// The log entry payload that carries the write.
    func encoded() -> [UInt8]
}
