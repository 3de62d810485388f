/// The append messages sent to one follower and not yet acknowledged,
/// bounded both by count and by bytes (etcd-io/raft's `tracker.Inflights`).
/// Each element is the last index a message carried and its payload bytes.
public struct Inflights: Sendable, Hashable {
    /// The most messages in flight.
    public let messagesMax: Int
    /// The most payload bytes in flight; 0 means no byte limit.
    public let bytesMax: Int
    private var window: [(index: UInt64, bytes: Int)] = []
    private var start = 0
    /// The payload bytes of the messages in flight.
    public private(set) var bytes = 0

    /// Creates an empty window.
    public init(messagesMax: Int, bytesMax: Int) {
        precondition(messagesMax > 0, "the in-flight window must admit at least one message")
        self.messagesMax = messagesMax
        self.bytesMax = bytesMax
    }

    /// The number of messages in flight.
    public var count: Int { window.count - start }

    /// True when no further message may be sent.
    public var isFull: Bool {
        count >= messagesMax || (bytesMax > 0 && bytes >= bytesMax)
    }

    /// Records a message carrying entries up to `index`.
    /// Precondition: the window is not full and indexes only increase.
    public mutating func add(index: UInt64, bytes messageBytes: Int) {
        precondition(!isFull, "sending past a full in-flight window")
        if let last = window.last, count > 0 {
            precondition(index > last.index, "in-flight indexes must increase")
        }
        window.append((index, messageBytes))
        bytes += messageBytes
    }

    /// Frees every message that carried entries up to and including `index`.
    public mutating func freeLessOrEqual(_ index: UInt64) {
        while start < window.count, window[start].index <= index {
            bytes -= window[start].bytes
            start += 1
        }
        if start == window.count {
            window.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 64 && start * 2 > window.count {
            window.removeFirst(start)
            start = 0
        }
    }

    /// Frees the oldest message in flight, if any.
    public mutating func freeFirst() {
        guard count > 0 else { return }
        freeLessOrEqual(window[start].index)
    }

    /// Empties the window.
    public mutating func reset() {
        window.removeAll(keepingCapacity: true)
        start = 0
        bytes = 0
    }

    public static func == (lhs: Inflights, rhs: Inflights) -> Bool {
        lhs.messagesMax == rhs.messagesMax && lhs.bytesMax == rhs.bytesMax
            && lhs.window[lhs.start...].elementsEqual(rhs.window[rhs.start...]) { $0.index == $1.index && $0.bytes == $1.bytes }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(bytes)
    }
}
