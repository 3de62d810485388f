#if canImport(Glibc)
import Glibc
#endif

/// A loopback port kept busy by the test: by a listening socket, or by the
/// local end of an established outgoing connection.
final class HeldPort {
    /// The port held.
    let port: Int
    private var descriptors: [Int32]

    private init(port: Int, descriptors: [Int32]) {
        self.port = port
        self.descriptors = descriptors
    }

    deinit { release() }

    /// Closes the sockets that hold the port.
    func release() {
        for descriptor in descriptors { close(descriptor) }
        descriptors = []
    }

    /// A port held by a listening socket (bound with SO_REUSEADDR, as
    /// servers bind).
    static func listening() throws -> HeldPort {
        let listener = try makeSocket()
        try bindLoopback(listener, port: 0, reuseAddress: true)
        guard listen(listener, 16) == 0 else { throw HarnessError(description: "listen() failed") }
        return HeldPort(port: try localPort(listener), descriptors: [listener])
    }

    /// A port held by the local end of an outgoing connection: a client
    /// socket bound to a port of its own, connected to a listener of the
    /// test's (which accepts it).
    static func outgoingConnection() throws -> HeldPort {
        let server = try listening()
        let client = try makeSocket()
        try bindLoopback(client, port: 0, reuseAddress: false)
        var address = loopback(port: server.port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError(description: "connect() failed") }
        let accepted = accept(server.descriptors[0], nil, nil)
        guard accepted >= 0 else { throw HarnessError(description: "accept() failed") }
        let port = try localPort(client)
        let descriptors = server.descriptors + [client, accepted]
        server.descriptors = []
        return HeldPort(port: port, descriptors: descriptors)
    }

    private static func makeSocket() throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError(description: "socket() failed") }
        return descriptor
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private static func bindLoopback(_ descriptor: Int32, port: Int, reuseAddress: Bool) throws {
        var one: Int32 = 1
        if reuseAddress { setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError(description: "bind() failed") }
    }

    private static func localPort(_ descriptor: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw HarnessError(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
