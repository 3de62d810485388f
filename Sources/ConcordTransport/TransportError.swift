/// Why the transport refused a frame or closed a connection.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A frame's declared length exceeds the limit.
    case frameTooLarge(bytes: Int, limit: Int)
    /// The first frame of a connection was not a valid hello.
    case badHello(String)
    /// The peer is not known to this transport.
    case unknownPeer(UInt64)
    /// The transport was shut down.
    case shutDown

    /// A readable description.
    public var description: String {
        switch self {
        case .frameTooLarge(let bytes, let limit): "frame of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case .badHello(let reason): "bad hello frame: \(reason)"
        case .unknownPeer(let id): "unknown peer \(id)"
        case .shutDown: "transport is shut down"
        }
    }
}
