import ConcordDynamo
import ConcordServerCore
import ConcordTransport
import Logging
import Synchronization

/// The available store's way in and out of the member: its messages share
/// the peer transport (as `PeerFrame.dynamo`), and arrive through the
/// server core, which admits them as it admits every frame.
extension ConcordNode {
    /// Hands the available store's messages from peers to `receiver`, in
    /// the order they arrive.
    func attachStore(_ receiver: @escaping @Sendable (IncomingStoreMessage) -> Void) {
        storeReceiver = receiver
    }

    /// The members the available store's ring holds: the voting members of
    /// the applied membership that have started (a member added with
    /// `member add` has no name until it starts and publishes one; a
    /// learner joins the ring once promoted). Every member that applied the
    /// same log finds the same set, so every member builds the same ring.
    /// Empty while this member has not learned the membership (a joining
    /// member before its first snapshot or entries).
    func storeRingMembers() -> [UInt64] {
        memberList().filter { !$0.isLearner && !$0.name.isEmpty }.map(\.id)
    }

    /// Sends an available-store message to member `to` over the peer
    /// transport, as a `PeerFrame.dynamo`; dropped (as the network may
    /// drop it) when the transport is closed or the peer's queue is full.
    nonisolated func sendStoreMessage(_ message: DynamoMessage, to: UInt64) {
        guard let transport = storeTransport.withLock({ $0 }) else { return }
        let bytes = PeerFrame.dynamo(message).encoded(from: configuration.memberID, to: to, clusterID: configuration.clusterID)
        do {
            try transport.send(to: to, bytes)
        } catch {
            logger.debug("cannot send an available-store message", metadata: ["to": "\(to)", "error": "\(error)"])
        }
    }
}
