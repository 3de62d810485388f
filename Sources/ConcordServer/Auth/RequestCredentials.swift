/// What a client call presented to authenticate, for the node to turn
/// into a caller: the `token` gRPC metadata etcd clients send after
/// `Authenticate`, and, with `--client-cert-auth`, the common name of the
/// connection's verified client certificate. Set by the connection for
/// the length of one call.
enum RequestCredentials {
    /// The call's token, if it sent one.
    @TaskLocal static var token: String?
    /// The subject common name of the client's verified certificate, when
    /// client certificates name users.
    @TaskLocal static var certificateUser: String?
}
