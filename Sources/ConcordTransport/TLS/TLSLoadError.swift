/// Why a node's certificate, key or trusted authorities could not be used.
public struct TLSLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    /// Creates an error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// A message for the operator.
    public var description: String { "cannot use TLS file \(path): \(reason)" }
}
