import GRPCCore

/// Gives every call that `GRPCServer` serves (Watch, Lease, Lock,
/// Election, Cluster, Maintenance) its `token` metadata as
/// `RequestCredentials.token`, for the length of the handler and of any
/// response stream it produces, so that the node checks those calls'
/// requests against the auth store as it checks KV calls.
struct TokenInterceptor: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let token = request.metadata[stringValues: "token"].first { _ in true }
        var response = try await RequestCredentials.$token.withValue(token) { try await next(request, context) }
        // A streaming handler's body runs after `next` returns, in the
        // response's producer: it gets the token too.
        if case .success(var contents) = response.accepted {
            let producer = contents.producer
            contents.producer = { writer in
                try await RequestCredentials.$token.withValue(token) { try await producer(writer) }
            }
            response.accepted = .success(contents)
        }
        return response
    }
}
