import ConcordEtcdAPI
import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import Testing

extension ProcessClusterTests {
    /// Malformed and oversized requests get etcd's errors, and the server
    /// keeps serving.
    @Suite struct BadInputTests {
        @Test func badRequestsGetEtcdsErrorsAndTheServerKeepsServing() async throws {
            let cluster = try ProcessCluster(size: 1)
            try cluster.start(0)
            let client = try EtcdClient(port: cluster.nodes[0].clientPort)
            do {
                try await cluster.waitForLeader(seconds: 20)
                try await exercise(cluster, client)
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            client.close()
            await cluster.shutdown()
        }

        private func expectError(
            _ code: RPCError.Code, _ message: String, _ body: () async throws -> Void,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async {
            do {
                try await body()
                Issue.record("expected \(code) \(message), got success", sourceLocation: sourceLocation)
            } catch let error as RPCError {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
                if !message.isEmpty {
                    #expect(error.message.contains(message), "\(error.message)", sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
            }
        }

        private func exercise(_ cluster: ProcessCluster, _ client: EtcdClient) async throws {
            let options = EtcdClient.options(seconds: 5)
            _ = try await client.put("k", "v")

            await expectError(.invalidArgument, "etcdserver: key is not provided") {
                _ = try await client.put("", "v")
            }
            await expectError(.invalidArgument, "etcdserver: request is too large") {
                _ = try await client.put("big", String(repeating: "x", count: 1_600_000))
            }
            // Above the gRPC message limit (request limit + 512 KiB) the
            // client listener refuses the message as soon as its length
            // prefix arrives, with RESOURCE_EXHAUSTED as etcd's Go server.
            await expectError(.resourceExhausted, "") {
                _ = try await client.put("huge", String(repeating: "x", count: 3_000_000))
            }
            await expectError(.invalidArgument, "etcdserver: too many operations in txn request") {
                var txn = Etcdserverpb_TxnRequest()
                txn.success = (0..<129).map { index in
                    var put = Etcdserverpb_PutRequest()
                    put.key = Data("t\(index)".utf8)
                    var operation = Etcdserverpb_RequestOp()
                    operation.request = .requestPut(put)
                    return operation
                }
                _ = try await client.kv.txn(txn, options: options)
            }
            await expectError(.invalidArgument, "etcdserver: duplicate key given in txn request") {
                var txn = Etcdserverpb_TxnRequest()
                var put = Etcdserverpb_PutRequest()
                put.key = Data("d".utf8)
                var operation = Etcdserverpb_RequestOp()
                operation.request = .requestPut(put)
                txn.success = [operation, operation]
                _ = try await client.kv.txn(txn, options: options)
            }
            await expectError(.invalidArgument, "unknown sort order") {
                var range = Etcdserverpb_RangeRequest()
                range.key = Data("k".utf8)
                range.sortOrder = .UNRECOGNIZED(42)
                _ = try await client.kv.range(range, options: options)
            }
            await expectError(.outOfRange, "etcdserver: mvcc: required revision is a future revision") {
                var range = Etcdserverpb_RangeRequest()
                range.key = Data("k".utf8)
                range.revision = 1_000_000
                _ = try await client.kv.range(range, options: options)
            }
            await expectError(.invalidArgument, "etcdserver: key not found") {
                var txn = Etcdserverpb_TxnRequest()
                txn.success = [Etcdserverpb_RequestOp()]
                _ = try await client.kv.txn(txn, options: options)
            }

            // Garbage on the client port: not HTTP/2 at all.
            let group = MultiThreadedEventLoopGroup.singleton
            let raw = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: cluster.nodes[0].clientPort).get()
            var buffer = raw.allocator.buffer(capacity: 4096)
            buffer.writeBytes((0..<4096).map { _ in UInt8.random(in: 0...255) })
            try? await raw.writeAndFlush(buffer)
            try? await raw.close()

            // Still serving, and nothing above changed the store.
            #expect(cluster.isRunning(0))
            #expect(try await client.get("k") == "v")
            #expect(try await client.get("big") == nil)
            #expect(try await client.get("t0") == nil)
            _ = try await client.put("after", "fine")
            #expect(try await client.get("after") == "fine")
        }
    }
}
