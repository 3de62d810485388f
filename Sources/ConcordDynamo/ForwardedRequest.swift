/// A forwarded request, named by the member that forwarded it and its
/// coordination there.
struct ForwardedRequest: Hashable, Sendable {
    var from: MemberID
    var coordination: UInt64
}
