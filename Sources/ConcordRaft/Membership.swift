/// Applying membership changes (thesis §4): a configuration takes effect
/// when its entry is applied (etcd-io/raft's rule; the leader lets only one
/// change be pending at a time, so this is safe), joint configurations are
/// left automatically when asked, and a leader that is no longer a voter
/// steps down (thesis §4.2.2).
extension RaftNode {
    mutating func applyConfigurationChange(_ entry: LogEntry) {
        // An entry that does not decode or apply was refused when proposed;
        // it can only be here through a bug, and then it changes nothing.
        guard let change = try? ConfigurationChange(decoding: entry.data),
            let next = try? membership.applying(change)
        else { return }
        switchConfiguration(to: next)
    }

    /// Puts `next` in force and reconciles the progress of every replica.
    mutating func switchConfiguration(to next: ConfigurationState) {
        membership = next
        quorum = JointQuorum(incoming: next.voters, outgoing: next.votersOutgoing)
        let everyone = next.allReplicas
        for replica in progress.keys where !everyone.contains(replica) {
            progress[replica] = nil
            snapshotChunksOut[replica] = nil
        }
        for replica in everyone {
            if progress[replica] == nil {
                progress[replica] = newProgress(for: replica)
                // A new member counts as active until the next CheckQuorum
                // round, so that it is sent a snapshot at once if it needs one.
                progress[replica]!.recentActive = true
            } else {
                progress[replica]!.isLearner = next.learners.contains(replica)
            }
        }
        outbox.configuration = next
        guard role == .leader else {
            if role != .follower && !isPromotable {
                becomeFollower(term: term, leader: nil)
            }
            return
        }
        if let target = leadTransferee, !quorum.voters.contains(target) {
            abortLeadershipTransfer()
        }
        if !isPromotable {
            // Removed or demoted: tell everyone the commit index, then step
            // down; a voter of the new configuration will take over.
            broadcastAppend()
            becomeFollower(term: term, leader: nil)
            return
        }
        if maybeCommit() {
            broadcastAppend()
        } else {
            for replica in progress.keys.sorted() where replica != id {
                sendAppend(to: replica, sendIfEmpty: false)
            }
        }
    }

    /// Proposes leaving a joint configuration entered with automatic
    /// transition, once the change that entered it is applied.
    mutating func maybeLeaveJointConfiguration() {
        guard membership.isJoint, membership.autoLeave, log.applied >= pendingConfigurationIndex,
            leadTransferee == nil
        else { return }
        pendingConfigurationIndex = log.lastIndex + 1
        appendAsLeader([ProposedEntry(kind: .configurationChange, data: ConfigurationChange.leaveJoint.encoded())])
    }
}
