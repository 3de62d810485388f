import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// etcd's v3 Election service over a `ConcordNode`, with the semantics of
/// etcd's concurrency election: a candidate's key is
/// `name/<lease ID in hex>` attached to its lease, and the leader is the
/// key with the lowest create revision under `name/`. `Campaign` returns
/// once the candidate leads; `Proclaim` changes the leader's value while
/// it still leads; `Leader` and `Observe` report the leader's key-value;
/// `Resign` deletes the leader key. A leader whose lease expires stops
/// leading and the next candidate in create-revision order takes over.
struct ElectionService: V3electionpb_Election.SimpleServiceProtocol {
    let node: ConcordNode

    private func header(revision: Int64, term: UInt64) -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: revision, term: term)
    }

    private static func prefix(_ name: Data) throws -> [UInt8] {
        guard !name.isEmpty else { throw RPCError(code: .invalidArgument, message: "etcdserver: election name is empty") }
        return Array(name) + Array("/".utf8)
    }

    static let notLeader = RPCError(code: .failedPrecondition, message: "election: not leader")
    static let noLeader = RPCError(code: .notFound, message: "election: no leader")
    static let missingLeaderKey = RPCError(code: .invalidArgument, message: "\"leader\" field must be provided")

    func campaign(request: V3electionpb_CampaignRequest, context: ServerContext) async throws -> V3electionpb_CampaignResponse {
        try await observeRequest(node, "Campaign") {
            try await ConcurrencyKeys.untilRPCEnds(context) { try await campaign(request) }
        }
    }

    private func campaign(_ request: V3electionpb_CampaignRequest) async throws -> V3electionpb_CampaignResponse {
        let prefix = try Self.prefix(request.name)
        let value = Array(request.value)
        var claim = try await ConcurrencyKeys.claim(node: node, prefix: prefix, lease: request.lease, value: value)
        if let existing = claim.existingValue, existing != value {
            // A candidate campaigning again with a new value keeps its
            // place and updates the value, as etcd's election does.
            let (revision, term) = try await proclaim(
                key: claim.key, createRevision: claim.createRevision, lease: request.lease, value: value)
            claim.revision = revision
            claim.term = term
        }
        do {
            try await ConcurrencyKeys.waitForPredecessors(node: node, prefix: prefix, createRevision: claim.createRevision)
        } catch {
            _ = try? await ConcurrencyKeys.deleteIfOwned(node: node, key: claim.key, createRevision: claim.createRevision)
            throw error
        }
        let (held, term) = try await node.range(RangeRequest(key: claim.key))
        guard let pair = held.kvs.first, pair.createRevision == claim.createRevision else {
            throw RPCError(code: .notFound, message: "etcdserver: requested lease not found")
        }
        var leader = V3electionpb_LeaderKey()
        leader.name = request.name
        leader.key = Data(claim.key)
        leader.rev = claim.createRevision
        leader.lease = request.lease
        var response = V3electionpb_CampaignResponse()
        response.header = header(revision: held.header.revision, term: term)
        response.leader = leader
        return response
    }

    private func proclaim(key: [UInt8], createRevision: Int64, lease: Int64, value: [UInt8]) async throws -> (Int64, UInt64) {
        let txn = TxnRequest(
            compare: [Compare(key: key, target: .createRevision(createRevision), result: .equal)],
            success: [.put(PutRequest(key: key, value: value, lease: lease))])
        let (result, term) = try await node.write(.txn(txn))
        guard case .txn(let response) = result else { throw EtcdTranslation.unexpected(result) }
        guard response.succeeded else { throw Self.notLeader }
        return (response.header.revision, term)
    }

    func proclaim(request: V3electionpb_ProclaimRequest, context: ServerContext) async throws -> V3electionpb_ProclaimResponse {
        try await observeRequest(node, "Proclaim") {
            guard request.hasLeader, !request.leader.key.isEmpty else { throw Self.missingLeaderKey }
            let leader = request.leader
            let (revision, term) = try await proclaim(
                key: Array(leader.key), createRevision: leader.rev, lease: leader.lease, value: Array(request.value))
            var response = V3electionpb_ProclaimResponse()
            response.header = header(revision: revision, term: term)
            return response
        }
    }

    func leader(request: V3electionpb_LeaderRequest, context: ServerContext) async throws -> V3electionpb_LeaderResponse {
        try await observeRequest(node, "Leader") {
            let (first, revision, term) = try await ConcurrencyKeys.firstOwner(node: node, prefix: try Self.prefix(request.name))
            guard let first else { throw Self.noLeader }
            var response = V3electionpb_LeaderResponse()
            response.header = header(revision: revision, term: term)
            response.kv = EtcdTranslation.keyValue(first)
            return response
        }
    }

    /// Streams the leader's key-value each time the leader or its value
    /// changes, starting with the current leader (once there is one). The
    /// stream ends when the client cancels it or the node shuts down
    /// gracefully (it never ends by itself, so shutdown must end it).
    func observe(
        request: V3electionpb_LeaderRequest, response: RPCWriter<V3electionpb_LeaderResponse>, context: ServerContext
    ) async throws {
        let service = self
        try await ConcurrencyKeys.untilRPCEnds(context) {
            try await service.observeUntilCancelled(request: request, response: response)
        }
    }

    private func observeUntilCancelled(
        request: V3electionpb_LeaderRequest, response: RPCWriter<V3electionpb_LeaderResponse>
    ) async throws {
        try await observeRequest(node, "Observe") {
            let prefix = try Self.prefix(request.name)
            var lastSent: (key: [UInt8], modRevision: Int64)?
            while !Task.isCancelled {
                let (first, revision, term) = try await ConcurrencyKeys.firstOwner(node: node, prefix: prefix)
                if let first, lastSent.map({ $0.key != first.key || $0.modRevision != first.modRevision }) ?? true {
                    var answer = V3electionpb_LeaderResponse()
                    answer.header = header(revision: revision, term: term)
                    answer.kv = EtcdTranslation.keyValue(first)
                    try await response.write(answer)
                    lastSent = (first.key, first.modRevision)
                }
                try await ConcurrencyKeys.waitForChange(
                    node: node, key: prefix, rangeEnd: RangeRequest.prefixEnd(prefix), after: revision, deletesOnly: false)
            }
        }
    }

    func resign(request: V3electionpb_ResignRequest, context: ServerContext) async throws -> V3electionpb_ResignResponse {
        try await observeRequest(node, "Resign") {
            guard request.hasLeader, !request.leader.key.isEmpty else { throw Self.missingLeaderKey }
            let (_, revision, term) = try await ConcurrencyKeys.deleteIfOwned(
                node: node, key: Array(request.leader.key), createRevision: request.leader.rev)
            var response = V3electionpb_ResignResponse()
            response.header = header(revision: revision, term: term)
            return response
        }
    }
}
