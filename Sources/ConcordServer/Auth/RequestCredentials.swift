/// What a client call presented to authenticate, for the node to turn
/// into a caller: the `token` gRPC metadata etcd clients send after
/// `Authenticate`. Set by the connection for the length of one call.
enum RequestCredentials {
    /// The call's token, if it sent one.
    @TaskLocal static var token: String?
}
