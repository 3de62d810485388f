import ConcordEtcdAPI
import Foundation
import GRPCCore
import Synchronization
import Testing

/// etcd's Watch stream over gRPC: many watchers on one stream, create with
/// a chosen ID, a refused duplicate ID, cancel and progress requests.
extension ProcessClusterTests {
@Suite struct WatchStreamTests {
    @Test func oneStreamCarriesManyWatchersWithCancelAndProgressAsEtcd() async throws {
        let cluster = try ProcessCluster(size: 3)
        try cluster.startAll()
        let client = try EtcdClient(port: cluster.nodes[2].clientPort)
        do {
            try await cluster.waitForLeader(seconds: 20)
            try await exercise(client)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        client.close()
        await cluster.shutdown()
    }

    final class Received: Sendable {
        let responses = Mutex<[Etcdserverpb_WatchResponse]>([])
        var count: Int { responses.withLock { $0.count } }
        func at(_ index: Int) -> Etcdserverpb_WatchResponse { responses.withLock { $0[index] } }
    }

    private static func create(_ key: String, rangeEnd: String = "", watchID: Int64 = 0) -> Etcdserverpb_WatchRequest {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = Data(key.utf8)
        create.rangeEnd = Data(rangeEnd.utf8)
        create.watchID = watchID
        var request = Etcdserverpb_WatchRequest()
        request.createRequest = create
        return request
    }

    private func exercise(_ client: EtcdClient) async throws {
        let (requests, send) = AsyncStream<Etcdserverpb_WatchRequest>.makeStream()
        let received = Received()
        let watch = Etcdserverpb_Watch.Client(wrapping: client.client)
        let call = Task {
            try await watch.watch(
                options: EtcdClient.options(seconds: 60),
                requestProducer: { writer in
                    for await request in requests { try await writer.write(request) }
                },
                onResponse: { response in
                    for try await message in response.messages {
                        received.responses.withLock { $0.append(message) }
                    }
                })
        }
        defer { call.cancel() }

        /// The next response, within a deadline.
        var taken = 0
        func next() async throws -> Etcdserverpb_WatchResponse {
            let index = taken
            try await waitUntil("watch response \(index)", seconds: 10) { received.count > index }
            taken += 1
            return received.at(index)
        }

        send.yield(Self.create("a"))
        let first = try await next()
        #expect(first.created && first.watchID == 0 && !first.canceled)
        #expect(first.header.clusterID != 0 && first.header.memberID != 0 && first.header.raftTerm >= 1)

        send.yield(Self.create("b", rangeEnd: "c", watchID: 7))
        let second = try await next()
        #expect(second.created && second.watchID == 7)

        send.yield(Self.create("x", watchID: 7))
        let refused = try await next()
        #expect(refused.created && refused.canceled && refused.watchID == -1)
        #expect(refused.cancelReason.contains("duplicate watch ID"))

        let putA = try await client.put("a", "1")
        let onA = try await next()
        #expect(onA.watchID == 0 && onA.events.count == 1)
        #expect(onA.events.first?.kv.key == Data("a".utf8) && onA.events.first?.type == .put)
        #expect(onA.header.revision == putA.header.revision)
        _ = try await client.put("b/1", "2")
        let onB = try await next()
        #expect(onB.watchID == 7 && onB.events.first?.kv.key == Data("b/1".utf8))

        var cancel = Etcdserverpb_WatchRequest()
        var cancelRequest = Etcdserverpb_WatchCancelRequest()
        cancelRequest.watchID = 0
        cancel.cancelRequest = cancelRequest
        send.yield(cancel)
        let canceled = try await next()
        #expect(canceled.canceled && canceled.watchID == 0)

        // The cancelled watcher gets nothing more; the other goes on.
        _ = try await client.put("a", "2")
        let putB2 = try await client.put("b/2", "3")
        let onB2 = try await next()
        #expect(onB2.watchID == 7 && onB2.events.first?.kv.key == Data("b/2".utf8))

        var progress = Etcdserverpb_WatchRequest()
        progress.progressRequest = Etcdserverpb_WatchProgressRequest()
        send.yield(progress)
        let notified = try await next()
        #expect(notified.watchID == -1 && notified.events.isEmpty && !notified.created && !notified.canceled)
        #expect(notified.header.revision == putB2.header.revision)
        #expect(received.count == taken)
        send.finish()
    }
}
}
