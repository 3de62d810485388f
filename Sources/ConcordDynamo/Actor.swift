import ConcordClocks

/// The identities that name a member's updates in dots: one per member and
/// *actor epoch*.
///
/// A member mints the dots of a key from its own copy of that key: the next
/// dot of actor `a` follows every dot of `a` the copy knows. That is safe
/// only while the copy still holds (or covers) every dot `a` minted for the
/// key. A member that loses its copy (it handed the key over, collected its
/// tombstone, or restarted after losing unsynced writes) could mint a dot a
/// second time for another write, and two writes would share a name. So the
/// member moves to a new epoch, a fresh actor, whenever it drops a key's
/// copy and whenever it boots; the epoch is made durable before any dot of
/// it leaves the member (see ``DynamoOutput``). This is Riak's answer too
/// ("per-key epochs", vnode ids renewed after an unclean shutdown).
///
/// The actor of `(member, epoch)` is `mix(member) XOR epoch`, where `mix` is
/// a bijection (``Hashing/mix(_:)``). Two actors collide only if two
/// members' mixes differ in the low 32 bits alone, which ``Ring`` refuses.
public enum Actor {
    /// The largest epoch: epochs are 32-bit.
    public static let epochMax = UInt64(UInt32.max)

    /// The mix of `member`, whose low 32 bits the epoch replaces.
    static func base(of member: MemberID) -> UInt64 {
        Hashing.mix(member.rawValue)
    }

    /// The actor of `member` in `epoch`.
    public static func replica(member: MemberID, epoch: UInt64) -> ReplicaID {
        precondition(epoch <= epochMax, "actor epochs are 32-bit")
        return ReplicaID(base(of: member) ^ epoch)
    }
}
