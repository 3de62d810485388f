import ConcordTransport
import NIOCore
import NIOPosix
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A listener that cannot bind says so as etcd (Go's net package) does.
@Suite struct ListenErrorTests {
    @Test func aPortInUseIsReportedWithEtcdsWording() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let first = PeerTransport(localID: 1, group: group, logger: makeLogger(), receiver: { _, _ in })
        let port = try await first.listen(host: "127.0.0.1", port: 0)
        let second = PeerTransport(localID: 2, group: group, logger: makeLogger(), receiver: { _, _ in })
        do {
            _ = try await second.listen(host: "127.0.0.1", port: port)
            Issue.record("a second listener bound port \(port)")
        } catch let error as ListenError {
            #expect(error.description == "cannot listen for peers on http://127.0.0.1:\(port): listen tcp 127.0.0.1:\(port): bind: address already in use")
        }
        await first.shutdown()
        await second.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func systemCallErrorsNameTheCallAndOtherErrorsDescribeThemselves() {
        let inUse = ListenError(
            purpose: "clients", url: "https://[::1]:2379", host: "::1", port: 2379,
            error: IOError(errnoCode: EADDRNOTAVAIL, reason: "bind(descriptor:ptr:bytes:)"))
        #expect(inUse.reason == "listen tcp [::1]:2379: bind: cannot assign requested address")
        struct Unresolvable: Error, CustomStringConvertible { var description: String { "unknown host nowhere" } }
        let other = ListenError(purpose: "metrics", url: "http://nowhere:1", host: "nowhere", port: 1, error: Unresolvable())
        #expect(other.description == "cannot listen for metrics on http://nowhere:1: listen tcp nowhere:1: unknown host nowhere")
    }
}
