@testable import ConcordServer
import ConcordKV
import ConcordRaft
import ConcordServerCore
import ConcordTransport
import Foundation
import Logging
import NIOPosix
import Testing

/// A lease forwarding frame as the scripted peer sees it.
private struct LeaseFrame: Equatable, Sendable {
    enum Body: Equatable, Sendable {
        case request(LeaseForwardRequest)
        case response(LeaseForwardResponse)
    }

    var from: UInt64
    var to: UInt64
    var requestID: UInt64
    var body: Body

    func encoded(clusterID: UInt64) -> [UInt8] {
        let frame: PeerFrame =
            switch body {
            case .request(let request): .leaseRequest(requestID: requestID, request)
            case .response(let response): .leaseResponse(requestID: requestID, response)
            }
        return frame.encoded(from: from, to: to, clusterID: clusterID)
    }

    init(from: UInt64, to: UInt64, requestID: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.requestID = requestID
        self.body = body
    }

    init?(decoding bytes: [UInt8], clusterID: UInt64) {
        guard let addressed = try? PeerFrame.decode(bytes, clusterID: clusterID) else { return nil }
        switch addressed.frame {
        case .leaseRequest(let requestID, let request):
            self.init(from: addressed.from, to: addressed.to, requestID: requestID, body: .request(request))
        case .leaseResponse(let requestID, let response):
            self.init(from: addressed.from, to: addressed.to, requestID: requestID, body: .response(response))
        case .raft, .multiPaxos, .dynamo, .dynamoBatch, .zooKeeperSessionsTouched:
            return nil
        }
    }
}

/// A peer the test scripts: it speaks the peer transport under a member's
/// id, sends Raft heartbeats so the node under test follows it, and hands
/// the test every lease forwarding frame it receives.
private struct ScriptedPeer {
    let id: UInt64
    let transport: PeerTransport
    let port: Int
    let clusterID: UInt64
    let frames: AsyncStream<LeaseFrame>

    static func start(id: UInt64, clusterID: UInt64) async throws -> ScriptedPeer {
        let (frames, continuation) = AsyncStream<LeaseFrame>.makeStream()
        let transport = PeerTransport(
            localID: id, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "scripted-peer"),
            receiver: { _, payload in
                guard let message = LeaseFrame(decoding: payload, clusterID: clusterID) else { return }
                continuation.yield(message)
            })
        let port = try await transport.listen(host: "127.0.0.1", port: 0)
        return ScriptedPeer(id: id, transport: transport, port: port, clusterID: clusterID, frames: frames)
    }

    /// Sends a heartbeat of `term` to `member` every 50 ms until cancelled.
    func lead(_ member: UInt64, term: UInt64) -> Task<Void, Never> {
        let frame = PeerFrame.encoded(
            RaftMessage(from: id, to: member, term: term, body: .heartbeat(.init(commit: 0, readRound: 0, sentTick: 0))),
            clusterID: clusterID)
        let transport = self.transport
        return Task {
            while !Task.isCancelled {
                try? transport.send(to: member, frame)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The next lease forwarding frame, or nil after `seconds`.
    func nextFrame(within seconds: Double) async -> LeaseFrame? {
        let frames = self.frames
        return await withTaskGroup(of: LeaseFrame?.self) { group in
            group.addTask {
                var iterator = frames.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func answer(_ request: LeaseFrame, _ response: LeaseForwardResponse, requestID: UInt64? = nil) throws {
        let message = LeaseFrame(
            from: id, to: request.from, requestID: requestID ?? request.requestID, body: .response(response))
        try transport.send(to: request.from, message.encoded(clusterID: clusterID))
    }
}

/// A follower forwards lease keep-alives and time-to-live queries to the
/// leader it knows and relays the answer; it fails them with etcd's errors
/// when the leader stays silent, changes, or is unknown. The leader here is
/// scripted, so every outcome is the test's choice.
@Suite(.serialized) struct LeaseForwardingTests {
    static let requestTimeoutMilliseconds = 1500

    /// Starts member n1 of {n1, n2, n3} where n2 and n3 are scripted peers.
    private func withFollower(
        _ body: (ConcordNode, ScriptedPeer, ScriptedPeer) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-leasefwd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = ["n1", "n2", "n3"]
        // The cluster id depends on the members' ids only, so ports may follow.
        let clusterID = ClusterMember.clusterID(of: names.map { ClusterMember(name: $0, peerHost: "127.0.0.1", peerPort: 1) })
        let n2 = try await ScriptedPeer.start(id: ClusterMember.id(forName: "n2"), clusterID: clusterID)
        let n3 = try await ScriptedPeer.start(id: ClusterMember.id(forName: "n3"), clusterID: clusterID)
        let members = [
            ClusterMember(name: "n1", peerHost: "127.0.0.1", peerPort: 1),
            ClusterMember(name: "n2", peerHost: "127.0.0.1", peerPort: n2.port),
            ClusterMember(name: "n3", peerHost: "127.0.0.1", peerPort: n3.port),
        ]
        var configuration = NodeConfiguration(
            name: "n1", dataDirectory: directory.path, peerListen: Endpoint(host: "127.0.0.1", port: 0),
            clientListen: Endpoint(host: "127.0.0.1", port: 0), members: members)
        configuration.requestTimeoutMilliseconds = Self.requestTimeoutMilliseconds
        #expect(configuration.clusterID == clusterID)
        var logger = Logger(label: "leasefwd-test")
        logger.logLevel = .error
        let node = try ConcordNode(configuration: configuration, logger: logger)
        let port = try await node.start(group: MultiThreadedEventLoopGroup.singleton)
        for peer in [n2, n3] { peer.transport.setPeer(configuration.memberID, host: "127.0.0.1", port: port) }
        do {
            try await body(node, n2, n3)
        } catch {
            await node.stop()
            for peer in [n2, n3] { await peer.transport.shutdown() }
            throw error
        }
        await node.stop()
        for peer in [n2, n3] { await peer.transport.shutdown() }
    }

    private func waitForLeader(_ node: ConcordNode, _ leader: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while await node.leader != leader {
            guard ContinuousClock.now < deadline else { throw HarnessError(description: "the node never followed \(leader)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aFollowerRelaysTheLeadersKeepAliveTimeToLiveAndRefusal() async throws {
        try await withFollower { node, n2, n3 in
            let heartbeats = n2.lead(node.configuration.memberID, term: 5)
            defer { heartbeats.cancel() }
            try await waitForLeader(node, n2.id)
            #expect(await node.role == .follower)

            // Keep-alive: forwarded as such; an answer under another request
            // id is ignored, the right one is relayed.
            let renewal = Task { try await node.renewLease(id: 0x7777).ttlSeconds }
            let keepAlive = try #require(await n2.nextFrame(within: 5))
            #expect(keepAlive.from == node.configuration.memberID)
            #expect(keepAlive.to == n2.id)
            #expect(keepAlive.body == .request(.keepAlive(leaseID: 0x7777)))
            try n2.answer(keepAlive, .renewed(ttlSeconds: 999), requestID: keepAlive.requestID &+ 1)
            // An answer from a member that was not asked is dropped too. The
            // node handles a connection's frames in order, so once it has
            // answered n3's request after the stray, the stray was seen.
            let stray = LeaseFrame(
                from: n3.id, to: node.configuration.memberID, requestID: keepAlive.requestID, body: .response(.renewed(ttlSeconds: 998)))
            try n3.transport.send(to: node.configuration.memberID, stray.encoded(clusterID: n3.clusterID))
            let probe = LeaseFrame(
                from: n3.id, to: node.configuration.memberID, requestID: 98, body: .request(.keepAlive(leaseID: 1)))
            try n3.transport.send(to: node.configuration.memberID, probe.encoded(clusterID: n3.clusterID))
            // Asked itself, a follower answers "not leader" rather than forwarding again.
            #expect(
                await n3.nextFrame(within: 5)
                    == LeaseFrame(from: node.configuration.memberID, to: n3.id, requestID: 98, body: .response(.refused(.notLeader))))
            try n2.answer(keepAlive, .renewed(ttlSeconds: 42))
            #expect(try await renewal.value == 42)

            // Time-to-live with keys.
            let status = LeaseTimeToLive(id: 0x7777, ttlSeconds: 13, grantedTTLSeconds: 60, keys: [Array("k/a".utf8), Array("k/b".utf8)])
            let query = Task { try await node.leaseTimeToLive(id: 0x7777, keys: true).0 }
            let timeToLive = try #require(await n2.nextFrame(within: 5))
            #expect(timeToLive.body == .request(.timeToLive(leaseID: 0x7777, keys: true)))
            // An answer of the wrong kind is dropped too.
            try n2.answer(timeToLive, .renewed(ttlSeconds: 1))
            try n2.answer(timeToLive, .timeToLive(status))
            #expect(try await query.value == status)

            // The leader's refusal reaches the client as the same LeaseError.
            let unknown = Task { try await node.renewLease(id: 5) }
            let third = try #require(await n2.nextFrame(within: 5))
            try n2.answer(third, .refused(.leaseNotFound))
            await #expect(throws: LeaseError.leaseNotFound) { try await unknown.value }

        }
    }

    @Test func aLeaderThatNeverAnswersFailsTheRequestWithTimedOutAfterTheRequestTimeout() async throws {
        try await withFollower { node, n2, _ in
            let heartbeats = n2.lead(node.configuration.memberID, term: 5)
            defer { heartbeats.cancel() }
            try await waitForLeader(node, n2.id)
            let start = ContinuousClock.now
            await #expect(throws: ServerError.timedOut) { try await node.renewLease(id: 1) }
            #expect(ContinuousClock.now - start >= .milliseconds(Self.requestTimeoutMilliseconds))
            #expect(try #require(await n2.nextFrame(within: 1)).body == .request(.keepAlive(leaseID: 1)))
            #expect(await node.leader == n2.id, "the leader stayed the same throughout")
        }
    }

    @Test func aLeaderChangeFailsTheForwardedRequestWithLeaderChanged() async throws {
        try await withFollower { node, n2, n3 in
            let first = n2.lead(node.configuration.memberID, term: 5)
            try await waitForLeader(node, n2.id)
            let pending = Task { try await node.leaseTimeToLive(id: 3, keys: false) }
            _ = try #require(await n2.nextFrame(within: 5))
            first.cancel()
            let start = ContinuousClock.now
            let second = n3.lead(node.configuration.memberID, term: 6)
            defer { second.cancel() }
            await #expect(throws: ServerError.leaderChanged) { try await pending.value }
            #expect(ContinuousClock.now - start < .milliseconds(Self.requestTimeoutMilliseconds))
            #expect(await node.leader == n3.id)

            // The next request goes to the new leader.
            let next = Task { try await node.renewLease(id: 3).ttlSeconds }
            let forwarded = try #require(await n3.nextFrame(within: 5))
            try n3.answer(forwarded, .renewed(ttlSeconds: 8))
            #expect(try await next.value == 8)
        }
    }

    @Test func withNoLeaderTheRequestFailsWithNoLeader() async throws {
        try await withFollower { node, n2, n3 in
            #expect(await node.leader == nil)
            await #expect(throws: ServerError.noLeader) { try await node.renewLease(id: 1) }
            await #expect(throws: ServerError.noLeader) { try await node.leaseTimeToLive(id: 1, keys: true) }
            #expect(await n2.nextFrame(within: 0.2) == nil)
            #expect(await n3.nextFrame(within: 0.2) == nil)
        }
    }
}
