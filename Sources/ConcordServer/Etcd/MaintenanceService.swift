import ConcordServerCore
import ConcordEtcdAPI
import ConcordKV
import Foundation
import GRPCCore

/// etcd's v3 Maintenance service over a `ConcordNode`.
///
/// - Status reports this member's view: version, the encoded size of the
///   key-value state, leader, Raft term and indexes.
/// - HashKV hashes every retained key version up to a revision; members
///   that applied the same log answer the same hash.
/// - Alarm: Concord raises no alarm (no space quota), so the list is
///   always empty; activating and deactivating are answered and change
///   nothing.
/// - Defragment is answered; the store is in memory, with nothing to do.
/// - MoveLeader hands leadership over through Raft's TimeoutNow; only the
///   leader accepts it, as in etcd.
/// - Snapshot streams the encoded key-value state machine, padded with
///   zero bytes to a multiple of 512 bytes (etcdctl expects bbolt's page
///   alignment), followed by the SHA-256 of the padded body, as etcd
///   appends one to its bbolt file: `etcdctl snapshot save` checks and
///   stores it. The body is Concord's
///   own format, not a bbolt file, so `etcdctl snapshot status` and
///   `snapshot restore` cannot read it.
struct MaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
    let node: ConcordNode

    /// The version Status reports: the etcd API version Concord speaks.
    static let version = "3.4.0-concord"
    /// The size of one Snapshot stream message (64 KiB).
    static let snapshotChunkBytes = 64 * 1024
    /// The multiple of bytes the snapshot body is padded to (512), which
    /// etcdctl checks before the SHA-256 trailer.
    static let snapshotAlignmentBytes = 512

    private func header(revision: Int64, term: UInt64) -> Etcdserverpb_ResponseHeader {
        EtcdTranslation.header(node, revision: revision, term: term)
    }

    func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
        try await observeRequest(node, "Alarm") {
            var response = Etcdserverpb_AlarmResponse()
            response.header = header(revision: await node.revision, term: await node.term)
            response.alarms = []
            return response
        }
    }

    func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
        try await observeRequest(node, "Status") {
            // The size is bounded, not measured: encoding the whole state
            // for every status request cost a copy of it each time.
            let snapshot = await node.stateSizeBound()
            var response = Etcdserverpb_StatusResponse()
            response.header = header(revision: snapshot.revision, term: await node.term)
            response.version = Self.version
            response.dbSize = Int64(snapshot.bytes)
            response.dbSizeInUse = Int64(snapshot.bytes)
            response.leader = await node.leader ?? 0
            response.raftIndex = snapshot.appliedIndex
            response.raftAppliedIndex = snapshot.appliedIndex
            response.raftTerm = await node.term
            response.isLearner = await node.isLearner
            if !node.hasLeader { response.errors = [ServerError.noLeader.message] }
            return response
        }
    }

    func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws -> Etcdserverpb_DefragmentResponse {
        try await observeRequest(node, "Defragment") {
            var response = Etcdserverpb_DefragmentResponse()
            response.header = header(revision: await node.revision, term: await node.term)
            return response
        }
    }

    /// etcd's Hash (of the whole bbolt file) is answered with the HashKV
    /// hash at the current revision.
    func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
        try await observeRequest(node, "Hash") {
            let result = try await node.hashKV(revision: 0)
            var response = Etcdserverpb_HashResponse()
            response.header = header(revision: result.currentRevision, term: await node.term)
            response.hash = result.hash
            return response
        }
    }

    func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
        try await observeRequest(node, "HashKV") {
            let result = try await node.hashKV(revision: request.revision)
            var response = Etcdserverpb_HashKVResponse()
            response.header = header(revision: result.currentRevision, term: await node.term)
            response.hash = result.hash
            response.compactRevision = result.compactRevision
            return response
        }
    }

    func snapshot(
        request: Etcdserverpb_SnapshotRequest,
        response: RPCWriter<Etcdserverpb_SnapshotResponse>,
        context: ServerContext
    ) async throws {
        try await observeRequest(node, "Snapshot") {
            let snapshot = await node.stateSnapshot()
            let term = await node.term
            let bytes = SnapshotFile.contents(ofState: snapshot.data)
            var offset = 0
            repeat {
                let end = min(offset + Self.snapshotChunkBytes, bytes.count)
                var message = Etcdserverpb_SnapshotResponse()
                message.header = header(revision: snapshot.revision, term: term)
                message.blob = Data(bytes[offset..<end])
                message.remainingBytes = UInt64(bytes.count - end)
                try await response.write(message)
                offset = end
            } while offset < bytes.count
        }
    }

    func moveLeader(request: Etcdserverpb_MoveLeaderRequest, context: ServerContext) async throws -> Etcdserverpb_MoveLeaderResponse {
        try await observeRequest(node, "MoveLeader") {
            try await node.moveLeader(to: request.targetID)
            var response = Etcdserverpb_MoveLeaderResponse()
            response.header = header(revision: await node.revision, term: await node.term)
            return response
        }
    }
}
