import ConcordDynamo
import ConcordSimulation

/// What travels in the Dynamo lab: members' messages, and client requests
/// and replies.
enum DynamoLabMessage: Sendable, CustomStringConvertible {
    /// Member to member.
    case peer(DynamoMessage)
    /// Client to the member it chose; `id` is the client's own number.
    case request(ClientRequest)
    /// Member to client, with the client's number.
    case reply(ClientReply)

    var description: String {
        switch self {
        case .peer(let message): message.description
        case .request(let request): "request #\(request.id) \(request.key) \(request.operation) \(request.consistency)"
        case .reply(let reply): "reply #\(reply.id) \(reply.outcome)"
        }
    }
}

typealias DynamoLabContext = NodeContext<DynamoLabMessage, StoredState>

/// The ring every member should use, shared by the driver and the node
/// factory so that a member restarting after a ring change boots with the
/// current ring (the server takes it from Raft).
final class DynamoLabRing {
    var ring: Ring

    init(_ ring: Ring) {
        self.ring = ring
    }
}

/// Bytes of members' messages, by class, for the measurements.
final class DynamoLabTraffic {
    /// Anti-entropy messages (trees and the copies they exchange).
    var antiEntropyBytes = 0
    var antiEntropyMessages = 0
    /// Everything else between members.
    var otherBytes = 0

    func count(_ message: DynamoMessage) {
        let size = message.binaryEncoded().count
        switch message {
        case .treeCompare, .treeObjects:
            antiEntropyBytes += size
            antiEntropyMessages += 1
        default:
            otherBytes += size
        }
    }
}

extension MemberID {
    /// The member of simulated node `node`.
    init(node: NodeID) {
        self.init(UInt64(node))
    }

    /// The simulated node of this member.
    var node: NodeID { NodeID(rawValue) }
}
