import ConcordKV
import ConcordServerCore

/// What the nodes of the server simulation send one another.
enum ServerLabMessage: Sendable, CustomStringConvertible {
    /// An encoded `PeerFrame`, server to server (the real codec runs).
    case peer([UInt8])
    /// A client's request, with the client's own request number.
    case request(UInt64, ClientRequest)
    /// A server's answer to request `number` of the client it goes to.
    case reply(UInt64, ServerReply)
    /// Opens a watch stream that the client names `tag`, with its watcher.
    case watchCreate(tag: UInt64, WatchCreateRequest)
    /// Asks the stream `tag` for a progress notification.
    case watchProgress(tag: UInt64)
    /// Responses of the stream `tag`, numbered from 1 in the order sent, as
    /// a stream over one connection delivers them (the simulated network
    /// may lose, duplicate or reorder messages; a watcher takes only the
    /// next number, and a gap breaks the stream as a broken connection would).
    case watchResponses(tag: UInt64, sequence: UInt64, [WatchResponse])
    /// The server holds no stream `tag` (it restarted, or never had one).
    case watchUnknown(tag: UInt64)
    /// Bytes on a ZooKeeper connection, either way, numbered from 1 in the
    /// order sent on that connection: the receiver takes only the next
    /// number (a duplicate is dropped), and a gap breaks the connection, as
    /// a lost TCP segment that never arrives would.
    case zooKeeper(connection: UInt64, sequence: UInt64, [UInt8])
    /// A ZooKeeper connection closed: by the server (to the client), or by
    /// the client, or unknown to the server that received bytes for it.
    case zooKeeperClose(connection: UInt64)

    var description: String {
        switch self {
        case .peer(let bytes): "frame(\(bytes.count)B kind \(bytes.count > 25 ? bytes[25] : 0))"
        case .request(let number, let request): "request #\(number) \(ServerLabDescription.request(request))"
        case .reply(let number, let reply): "reply #\(number) \(ServerLabDescription.result(reply.result)) rev \(reply.revision)"
        case .watchCreate(let tag, let create): "watch-create \(tag) from \(create.startRevision)"
        case .watchProgress(let tag): "watch-progress \(tag)"
        case .watchResponses(let tag, let sequence, let responses):
            "watch-responses \(tag)#\(sequence) \(responses.map { "\($0.revision):\($0.events.count)\($0.canceled ? "x" : "")" })"
        case .watchUnknown(let tag): "watch-unknown \(tag)"
        case .zooKeeper(let connection, let sequence, let bytes): "zk \(connection)#\(sequence) \(bytes.count)B"
        case .zooKeeperClose(let connection): "zk-close \(connection)"
        }
    }
}

/// Deterministic one-line descriptions for the simulation's trace.
enum ServerLabDescription {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func request(_ request: ClientRequest) -> String {
        switch request {
        case .range(let range): "range \(text(range.key))\(range.serializable ? " serializable" : "")"
        case .readOnlyTxn: "read-only txn"
        case .write(.put(let put)): "put \(text(put.key))=\(text(put.value))\(put.lease != 0 ? " lease \(put.lease)" : "")"
        case .write(.deleteRange(let delete)): "delete \(text(delete.key))"
        case .write(.txn): "txn"
        case .write(.compact(let compaction)): "compact \(compaction.revision)"
        case .leaseGrant(let id, let ttl): "lease-grant \(id) ttl \(ttl)"
        case .leaseRevoke(let id): "lease-revoke \(id)"
        case .leaseKeepAlive(let id): "lease-keep-alive \(id)"
        case .leaseTimeToLive(let id, _): "lease-ttl \(id)"
        case .leaseList: "lease-list"
        case .memberAdd(let member): "member-add \(member.id)\(member.isLearner ? " learner" : "")"
        case .memberRemove(let id): "member-remove \(id)"
        case .memberUpdate(let id, _): "member-update \(id)"
        case .memberPromote(let id): "member-promote \(id)"
        case .moveLeader(let target): "move-leader \(target)"
        case .auth(let command): "auth \(command)"
        case .authQuery(let query): "auth-query \(query)"
        }
    }

    static func result(_ result: Result<ClientAnswer, RequestFailure>) -> String {
        switch result {
        case .success(let answer):
            switch answer {
            case .range(let response): "ok \(response.kvs.map { "\(text($0.key))=\(text($0.value))" })"
            case .txn(let response): "ok txn \(response.succeeded)"
            case .kv(let result): "ok \(kind(result))"
            case .leaseGranted(let id, let ttl): "ok lease \(id) ttl \(ttl)"
            case .leaseRevoked: "ok revoked"
            case .leaseRenewed(let ttl): "ok renewed \(ttl)"
            case .leaseTimeToLive(let status): "ok ttl \(status.ttlSeconds)"
            case .leaseIDs(let ids): "ok leases \(ids)"
            case .members(let members): "ok members \(members.map(\.id))"
            case .leaderMoved: "ok moved"
            case .authApplied: "ok auth"
            case .auth(let answer): "ok \(answer)"
            }
        case .failure(let failure): "failed \(failure.error)"
        }
    }

    private static func kind(_ result: ConcordKV.KVResult) -> String {
        switch result {
        case .put: "put"
        case .deleteRange(let response): "deleted \(response.deleted)"
        case .txn(let response): "txn \(response.succeeded)"
        case .compact: "compacted"
        }
    }
}
