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
    /// the order they arrive, those of one frame together.
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

    /// The largest frame of batched available-store messages, in bytes: a
    /// batch that encodes larger is split (a single message is sent alone,
    /// whatever its size, as before).
    static let storeBatchFrameBytesMax = 1 << 20

    /// Sends available-store messages to member `to` over the peer
    /// transport, in order: one message as a `PeerFrame.dynamo`, several as
    /// `PeerFrame.dynamoBatch` frames of at most
    /// ``storeBatchFrameBytesMax`` bytes each. Dropped (as the network may
    /// drop them) when the transport is closed or the peer's queue is full.
    nonisolated func sendStoreMessages(_ messages: [DynamoMessage], to: UInt64) {
        guard !messages.isEmpty, let transport = storeTransport.withLock({ $0 }) else { return }
        for bytes in storeFrames(messages[...], to: to) {
            do {
                try transport.send(to: to, bytes)
            } catch {
                logger.debug("cannot send available-store messages", metadata: ["to": "\(to)", "error": "\(error)"])
            }
        }
    }

    /// The frames carrying `messages`, halving a batch until each fits.
    private nonisolated func storeFrames(_ messages: ArraySlice<DynamoMessage>, to: UInt64) -> [[UInt8]] {
        let frame: PeerFrame = messages.count == 1 ? .dynamo(messages.first!) : .dynamoBatch(Array(messages))
        let bytes = frame.encoded(from: configuration.memberID, to: to, clusterID: configuration.clusterID)
        guard bytes.count > Self.storeBatchFrameBytesMax, messages.count > 1 else { return [bytes] }
        let middle = messages.startIndex + messages.count / 2
        return storeFrames(messages[..<middle], to: to) + storeFrames(messages[middle...], to: to)
    }
}
