import Foundation
import GRPCCore

/// Times a call, records it in the node's request metrics under `method`,
/// and turns Concord's errors into the gRPC status etcd answers with.
func observeRequest<Response>(
    _ node: ConcordNode, _ method: String, _ body: () async throws -> Response
) async throws -> Response {
    let start = ContinuousClock.now
    do {
        let response = try await body()
        node.metrics.recordRequest(method: method, code: "OK", duration: ContinuousClock.now - start)
        return response
    } catch {
        let rpcError = EtcdTranslation.rpcError(error)
        node.metrics.recordRequest(method: method, code: "\(rpcError.code)", duration: ContinuousClock.now - start)
        throw rpcError
    }
}
