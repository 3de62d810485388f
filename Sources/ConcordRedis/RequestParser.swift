import ConcordDynamo

/// The incremental parser of a client's input: bytes in, requests (argument
/// arrays) out, as Redis 7's `processInputBuffer` reads them (networking.c).
///
/// A request is either *multibulk* (it starts with `*`: `*N\r\n` then N
/// bulk strings `$len\r\n` + bytes + `\r\n`), what every client library
/// sends, or *inline* (anything else: one line, split by
/// ``InlineArguments``), what a person types into telnet. Many requests may
/// arrive in one read (pipelining) and one request may arrive over many
/// reads; ``append(_:)`` the bytes of each read, then take requests with
/// ``next()`` until it returns nil.
///
/// A malformed request is a *protocol error*: ``next()`` returns
/// ``Event/protocolError(_:)`` with Redis's message, after every request
/// that preceded it, and nothing more ever after. Redis answers with the
/// error and closes the connection (``RedisConnection`` does the same).
///
/// As in Redis, an empty line and a multibulk count of zero or less are
/// skipped, a line may end in LF alone, and the two bytes after a bulk
/// string's data are skipped without being checked.
public struct RequestParser: Sendable {
    /// Size limits, Redis's by default.
    public struct Limits: Hashable, Sendable {
        /// The longest bulk string accepted, in bytes (Redis's
        /// `proto-max-bulk-len`, 512 MB by default).
        public var bulkBytesMax: Int = 512 * 1024 * 1024
        /// The most arguments one multibulk request may declare. Redis 6.2
        /// refused more than 1024 * 1024; Redis 7 accepts up to `INT_MAX`
        /// and allocates as the arguments arrive. Concord keeps 6.2's bound.
        public var multibulkCountMax: Int = 1024 * 1024
        /// The longest inline request, or count line, waited for without
        /// finding its end, in bytes (Redis's `PROTO_INLINE_MAX_SIZE`, 64 KB).
        public var inlineBytesMax: Int = 64 * 1024

        /// Redis's limits.
        public init() {}
    }

    /// What the parser found.
    public enum Event: Hashable, Sendable {
        /// A complete request: the command name and its arguments (never empty).
        case request([ByteString])
        /// Malformed input: the error reply's text (`ERR Protocol error: …`).
        /// The connection must answer it and close.
        case protocolError(String)
    }

    /// The limits in force.
    public let limits: Limits
    /// Bytes received and not yet consumed start at `position`.
    private var buffer: [UInt8] = []
    private var position = 0
    /// Within a multibulk request: the arguments still to read (0 when
    /// between requests), the length of the bulk string being read (nil
    /// while its header is unread), the arguments read so far.
    private var argumentsRemaining = 0
    private var bulkLength: Int?
    private var arguments: [ByteString] = []
    /// Set once a protocol error was reported.
    public private(set) var failed = false

    /// A parser with these limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The number of bytes received and not yet consumed.
    public var bufferedCount: Int { buffer.count - position }

    /// Adds the bytes of one read.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard !failed else { return }
        if position > 0, position >= buffer.count / 2 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request or protocol error, or nil when more bytes
    /// are needed.
    public mutating func next() -> Event? {
        while !failed, position < buffer.count {
            let outcome: Step
            if argumentsRemaining > 0 || buffer[position] == UInt8(ascii: "*") {
                outcome = stepMultibulk()
            } else {
                outcome = stepInline()
            }
            switch outcome {
            case .needMore: return nil
            case .skip: continue
            case .request(let request): return .request(request)
            case .error(let message):
                failed = true
                buffer = []
                position = 0
                return .protocolError("ERR Protocol error: " + message)
            }
        }
        return nil
    }

    /// Appends `bytes` and returns every event they complete.
    public mutating func parse(_ bytes: some Sequence<UInt8>) -> [Event] {
        append(bytes)
        var events: [Event] = []
        while let event = next() { events.append(event) }
        return events
    }

    private enum Step {
        case needMore
        case skip
        case request([ByteString])
        case error(String)
    }

    private func firstIndex(of byte: UInt8) -> Int? {
        buffer[position...].firstIndex(of: byte)
    }

    private mutating func stepInline() -> Step {
        guard let newline = firstIndex(of: 10) else {
            return bufferedCount > limits.inlineBytesMax ? .error("too big inline request") : .needMore
        }
        var end = newline
        if end > position, buffer[end - 1] == 13 { end -= 1 }
        guard let split = InlineArguments.split(buffer[position..<end]) else {
            return .error("unbalanced quotes in request")
        }
        position = newline + 1
        return split.isEmpty ? .skip : .request(split.map(ByteString.init))
    }

    private mutating func stepMultibulk() -> Step {
        if argumentsRemaining == 0 {
            guard let carriageReturn = firstIndex(of: 13) else {
                return bufferedCount > limits.inlineBytesMax ? .error("too big mbulk count string") : .needMore
            }
            guard carriageReturn + 1 < buffer.count else { return .needMore }
            guard let count = RedisInteger.parse(buffer[(position + 1)..<carriageReturn]),
                count <= Int64(limits.multibulkCountMax)
            else { return .error("invalid multibulk length") }
            position = carriageReturn + 2
            guard count > 0 else { return .skip }
            argumentsRemaining = Int(count)
            arguments = []
            arguments.reserveCapacity(min(Int(count), 1024))
            bulkLength = nil
        }
        while argumentsRemaining > 0 {
            if bulkLength == nil {
                guard let carriageReturn = firstIndex(of: 13) else {
                    return bufferedCount > limits.inlineBytesMax ? .error("too big bulk count string") : .needMore
                }
                guard carriageReturn + 1 < buffer.count else { return .needMore }
                let marker = buffer[position]
                guard marker == UInt8(ascii: "$") else {
                    return .error("expected '$', got '\(Character(Unicode.Scalar(marker)))'")
                }
                guard let length = RedisInteger.parse(buffer[(position + 1)..<carriageReturn]), length >= 0,
                    length <= Int64(limits.bulkBytesMax)
                else { return .error("invalid bulk length") }
                position = carriageReturn + 2
                bulkLength = Int(length)
            }
            let length = bulkLength!
            guard buffer.count - position >= length + 2 else { return .needMore }
            arguments.append(ByteString(buffer[position..<(position + length)]))
            position += length + 2
            bulkLength = nil
            argumentsRemaining -= 1
        }
        let request = arguments
        arguments = []
        return .request(request)
    }
}
