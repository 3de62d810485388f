import ConcordEtcdAPI
import Foundation
import GRPCCore

/// etcd's v3 Cluster service over a `ConcordNode`.
///
/// MemberList answers the members of `--initial-cluster`: their ids, names
/// and peer URLs. A member knows only its own client URL, so the others
/// are listed without client URLs (`etcdctl --cluster` cannot discover
/// endpoints; name them with `--endpoints`). Concord's membership is fixed
/// at start: MemberAdd, MemberRemove, MemberUpdate and MemberPromote are
/// refused with gRPC `UNIMPLEMENTED` and change nothing.
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let node: ConcordNode

    /// Why membership changes are refused.
    static let membershipChangeRefusal =
        "concord: membership changes through the Cluster API are not supported; the cluster is fixed by --initial-cluster"

    private func header() async -> Etcdserverpb_ResponseHeader {
        var header = Etcdserverpb_ResponseHeader()
        header.clusterID = node.configuration.clusterID
        header.memberID = node.configuration.memberID
        header.revision = await node.revision
        header.raftTerm = await node.term
        return header
    }

    func memberList(request: Etcdserverpb_MemberListRequest, context: ServerContext) async throws -> Etcdserverpb_MemberListResponse {
        try await observeRequest(node, "MemberList") {
            var response = Etcdserverpb_MemberListResponse()
            response.header = await header()
            let configuration = node.configuration
            response.members = configuration.members.map { member in
                var answer = Etcdserverpb_Member()
                answer.id = member.id
                answer.name = member.name
                answer.peerUrls = ["http://\(member.peerHost):\(member.peerPort)"]
                answer.clientUrls = member.id == configuration.memberID ? ["\(configuration.clientListen)"] : []
                answer.isLearner = false
                return answer
            }
            return response
        }
    }

    func memberAdd(request: Etcdserverpb_MemberAddRequest, context: ServerContext) async throws -> Etcdserverpb_MemberAddResponse {
        try await observeRequest(node, "MemberAdd") { throw RPCError(code: .unimplemented, message: Self.membershipChangeRefusal) }
    }

    func memberRemove(request: Etcdserverpb_MemberRemoveRequest, context: ServerContext) async throws -> Etcdserverpb_MemberRemoveResponse {
        try await observeRequest(node, "MemberRemove") { throw RPCError(code: .unimplemented, message: Self.membershipChangeRefusal) }
    }

    func memberUpdate(request: Etcdserverpb_MemberUpdateRequest, context: ServerContext) async throws -> Etcdserverpb_MemberUpdateResponse {
        try await observeRequest(node, "MemberUpdate") { throw RPCError(code: .unimplemented, message: Self.membershipChangeRefusal) }
    }

    func memberPromote(request: Etcdserverpb_MemberPromoteRequest, context: ServerContext) async throws -> Etcdserverpb_MemberPromoteResponse {
        try await observeRequest(node, "MemberPromote") { throw RPCError(code: .unimplemented, message: Self.membershipChangeRefusal) }
    }
}
