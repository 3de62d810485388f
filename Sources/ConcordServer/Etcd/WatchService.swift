import ConcordServerCore
import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// etcd's v3 Watch service over a `ConcordNode`: one bidirectional stream
/// carries many watchers. The node that holds the stream serves it from
/// its own applied state (`WatchHub`), so a follower's watchers see each
/// revision once that follower has applied it, as in etcd.
struct WatchService: Etcdserverpb_Watch.SimpleServiceProtocol {
    let node: ConcordNode

    func watch(
        request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
        response: RPCWriter<Etcdserverpb_WatchResponse>,
        context: ServerContext
    ) async throws {
        let start = ContinuousClock.now
        let (id, wakeups) = await node.openWatchStream()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in request {
                        guard let translated = try Self.translate(message) else { continue }
                        await node.watchRequest(stream: id, translated)
                    }
                }
                group.addTask {
                    for await _ in wakeups {
                        let (responses, term) = await node.takeWatchResponses(stream: id)
                        for answer in responses { try await response.write(translate(answer, term: term)) }
                    }
                }
                // The stream ends when the client stops sending (or the
                // node stops); the writer then stops too.
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await node.closeWatchStream(id)
            let rpcError = EtcdTranslation.rpcError(error)
            node.metrics.recordRequest(method: "Watch", code: "\(rpcError.code)", duration: ContinuousClock.now - start)
            throw rpcError
        }
        await node.closeWatchStream(id)
        node.metrics.recordRequest(method: "Watch", code: "OK", duration: ContinuousClock.now - start)
    }

    /// A client request as the hub takes it; nil for an empty request.
    static func translate(_ message: Etcdserverpb_WatchRequest) throws -> WatchStreamRequest? {
        switch message.requestUnion {
        case .createRequest(let create):
            var noPut = false, noDelete = false
            for filter in create.filters {
                switch filter {
                case .noput: noPut = true
                case .nodelete: noDelete = true
                case .UNRECOGNIZED(let value):
                    throw RPCError(code: .invalidArgument, message: "etcdserver: unknown watch filter \(value)")
                }
            }
            return .create(
                WatchCreateRequest(
                    key: Array(create.key), rangeEnd: Array(create.rangeEnd), startRevision: create.startRevision,
                    progressNotify: create.progressNotify, noPut: noPut, noDelete: noDelete, prevKV: create.prevKv,
                    watchID: create.watchID, fragment: create.fragment))
        case .cancelRequest(let cancel):
            return .cancel(watchID: cancel.watchID)
        case .progressRequest:
            return .progress
        case nil:
            return nil
        }
    }

    /// A hub response with etcd's header (cluster id, member id, the
    /// response's revision, the raft term).
    func translate(_ answer: WatchResponse, term: UInt64) -> Etcdserverpb_WatchResponse {
        var result = Etcdserverpb_WatchResponse()
        var header = Etcdserverpb_ResponseHeader()
        header.clusterID = node.configuration.clusterID
        header.memberID = node.configuration.memberID
        header.revision = answer.revision
        header.raftTerm = term
        result.header = header
        result.watchID = answer.watchID
        result.created = answer.created
        result.canceled = answer.canceled
        result.compactRevision = answer.compactRevision
        result.cancelReason = answer.cancelReason
        result.fragment = answer.fragment
        result.events = answer.events.map { event in
            var translated = Mvccpb_Event()
            translated.type = event.kind == .put ? .put : .delete
            translated.kv = EtcdTranslation.keyValue(event.kv)
            if let previous = event.prevKV { translated.prevKv = EtcdTranslation.keyValue(previous) }
            return translated
        }
        return result
    }
}
