import ConcordServerCore
import ConcordEtcdAPI
import Foundation
import GRPCCore

/// etcd's v3 Cluster service over a `ConcordNode`.
///
/// MemberList answers the replicated member registry: every member's id,
/// name, peer and client URLs and learner flag, the same on every member
/// (a member added but not yet started has no name and no client URLs, and
/// etcdctl shows it "unstarted").
///
/// MemberAdd (voter or learner), MemberRemove and MemberPromote are Raft
/// configuration changes; MemberUpdate is an ordinary entry. Each answers
/// once this member has applied the change, with the member list after it.
/// A new member's id is derived from its peer URLs
/// (`ClusterMember.id(forPeerURLs:)`). Refusals are etcd's errors with
/// etcd's gRPC codes and change nothing: "member not found", "Peer URLs
/// already exists", "member ID already exist", "can only promote a learner
/// member", "can only promote a learner member which is in sync with
/// leader" (checked on the leader only; a follower answers "not leader"),
/// "too many learner members in cluster", "given member URLs are invalid",
/// and etcd's strict reconfiguration checks ("re-configuration failed due to
/// not enough started members" when adding a voter, "unhealthy cluster"
/// when a removal would leave the active voters without a quorum).
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let node: ConcordNode

    private func header() async -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: await node.revision, term: await node.term)
    }

    private static func member(_ record: MemberRecord) -> Etcdserverpb_Member {
        var member = Etcdserverpb_Member()
        member.id = record.id
        member.name = record.name
        member.peerUrls = record.peerURLs
        member.clientUrls = record.clientURLs
        member.isLearner = record.isLearner
        return member
    }

    /// etcd's MemberBadURLs for a missing, duplicated or malformed URL, or
    /// one whose scheme is not the cluster's (`https://` exactly when peers
    /// speak TLS: a member speaks TLS to every peer or to none).
    static func peerURLs(_ urls: [String], usesTLS: Bool) throws(MembershipError) -> [String] {
        guard !urls.isEmpty, urls.count <= MemberRegistry.urlsPerMemberMax else { throw .badURLs }
        var normalized: [String] = []
        for url in urls {
            guard url.utf8.count <= MemberRegistry.textBytesMax, let endpoint = try? Endpoint.parse(url, flag: "peer URL"),
                endpoint.port != 0, endpoint.usesTLS == usesTLS
            else { throw .badURLs }
            normalized.append(endpoint.description)
        }
        guard Set(normalized).count == normalized.count else { throw .badURLs }
        return normalized.sorted()
    }

    /// Runs a membership call, turning `MembershipError` into etcd's status.
    private func membership<Response>(_ method: String, _ body: () async throws -> Response) async throws -> Response {
        try await observeRequest(node, method) {
            do {
                return try await body()
            } catch let error as MembershipError {
                throw RPCError(code: EtcdTranslation.code(error.grpcStatusCode), message: error.message)
            }
        }
    }

    func memberList(request: Etcdserverpb_MemberListRequest, context: ServerContext) async throws -> Etcdserverpb_MemberListResponse {
        try await membership("MemberList") {
            var response = Etcdserverpb_MemberListResponse()
            response.header = await header()
            response.members = await node.memberList().map(Self.member)
            return response
        }
    }

    func memberAdd(request: Etcdserverpb_MemberAddRequest, context: ServerContext) async throws -> Etcdserverpb_MemberAddResponse {
        try await membership("MemberAdd") {
            let urls = try Self.peerURLs(request.peerUrls, usesTLS: node.configuration.peerListen.usesTLS)
            let record = MemberRecord(
                id: ClusterMember.id(forPeerURLs: urls), name: "", peerURLs: urls, clientURLs: [], isLearner: request.isLearner)
            let members = try await node.addMember(record)
            var response = Etcdserverpb_MemberAddResponse()
            response.header = await header()
            response.member = Self.member(record)
            response.members = members.map(Self.member)
            return response
        }
    }

    func memberRemove(request: Etcdserverpb_MemberRemoveRequest, context: ServerContext) async throws -> Etcdserverpb_MemberRemoveResponse {
        try await membership("MemberRemove") {
            let members = try await node.removeMember(request.id)
            var response = Etcdserverpb_MemberRemoveResponse()
            response.header = await header()
            response.members = members.map(Self.member)
            return response
        }
    }

    func memberUpdate(request: Etcdserverpb_MemberUpdateRequest, context: ServerContext) async throws -> Etcdserverpb_MemberUpdateResponse {
        try await membership("MemberUpdate") {
            let urls = try Self.peerURLs(request.peerUrls, usesTLS: node.configuration.peerListen.usesTLS)
            let members = try await node.updateMember(request.id, peerURLs: urls)
            var response = Etcdserverpb_MemberUpdateResponse()
            response.header = await header()
            response.members = members.map(Self.member)
            return response
        }
    }

    func memberPromote(request: Etcdserverpb_MemberPromoteRequest, context: ServerContext) async throws -> Etcdserverpb_MemberPromoteResponse {
        try await membership("MemberPromote") {
            let members = try await node.promoteMember(request.id)
            var response = Etcdserverpb_MemberPromoteResponse()
            response.header = await header()
            response.members = members.map(Self.member)
            return response
        }
    }
}
