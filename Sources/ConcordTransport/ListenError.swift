import NIOCore

/// A listener that cannot listen on the address it was given. A node that
/// cannot serve what it was asked to serve stops at start with this error
/// rather than run without it.
public struct ListenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the listener serves: "clients", "peers", "metrics".
    public var purpose: String
    /// The URL it was asked to listen on.
    public var url: String
    /// Why, worded as etcd (Go's net package) words it, for example
    /// `listen tcp 127.0.0.1:2379: bind: address already in use`.
    public var reason: String

    /// Creates an error from the error binding failed with.
    public init(purpose: String, url: String, host: String, port: Int, error: any Error) {
        self.purpose = purpose
        self.url = url
        self.reason = "listen tcp \(host.contains(":") ? "[\(host)]" : host):\(port): \(Self.describe(error))"
    }

    /// A message for the operator.
    public var description: String { "cannot listen for \(purpose) on \(url): \(reason)" }

    /// `bind: address already in use` for a failed system call; the error's
    /// own description otherwise.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        let text = "\(error)"
        let call = text.prefix { $0 != "(" && $0 != ":" }
        let message = Self.errnoMessage(error.errnoCode)
        return call.isEmpty ? message : "\(call): \(message)"
    }

    /// The C library's message for `code`, first letter in lower case as Go prints it.
    private static func errnoMessage(_ code: CInt) -> String {
        let message = String(cString: strerror(code))
        guard let first = message.first else { return "errno \(code)" }
        return first.lowercased() + message.dropFirst()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
