/// A change of membership, proposed as a log entry of kind
/// `.configurationChange` (thesis §4.3; etcd-io/raft's `ConfChangeV2`).
///
/// A change that adds or removes at most one voter is applied directly (the
/// single-server change of thesis §4.1) unless `transition` is `.explicit`.
/// Any larger change goes through a joint configuration (thesis §4.3): both
/// the old and the new voters must agree until the group leaves it, by
/// itself (`.automatic`) or when an empty change is proposed (`.explicit`).
public struct ConfigurationChange: Sendable, Hashable {
    /// What happens to one replica.
    public enum Action: UInt8, Sendable, Hashable {
        /// Make the replica a voter (adding it, or promoting a learner).
        case addVoter = 0
        /// Make the replica a learner (adding it, or demoting a voter).
        case addLearner = 1
        /// Remove the replica from the group.
        case remove = 2
    }

    /// One replica's change.
    public struct Step: Sendable, Hashable {
        /// What happens.
        public var action: Action
        /// To whom.
        public var replica: ReplicaID

        /// Creates a step.
        public init(_ action: Action, _ replica: ReplicaID) {
            self.action = action
            self.replica = replica
        }
    }

    /// How a joint configuration is left.
    public enum Transition: UInt8, Sendable, Hashable {
        /// Change a single voter directly; otherwise enter a joint
        /// configuration that the leader leaves by itself.
        case automatic = 0
        /// Always enter a joint configuration and stay there until an empty
        /// change (`ConfigurationChange.leaveJoint`) is proposed.
        case explicit = 1
    }

    /// The steps, applied in order. Empty means "leave the joint configuration".
    public var steps: [Step]
    /// How a joint configuration entered by this change is left.
    public var transition: Transition

    /// Creates a change.
    public init(_ steps: [Step], transition: Transition = .automatic) {
        self.steps = steps
        self.transition = transition
    }

    /// The change that leaves a joint configuration.
    public static let leaveJoint = ConfigurationChange([])

    /// True for the change that leaves a joint configuration.
    public var isLeaveJoint: Bool { steps.isEmpty }

    /// The most steps a change may carry.
    public static let stepsMax = 64

    /// The change encoded as the payload of a log entry.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [1, transition.rawValue, UInt8(steps.count)]
        for step in steps {
            bytes.append(step.action.rawValue)
            withUnsafeBytes(of: step.replica.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Decodes a payload written by `encoded()`.
    public init(decoding bytes: [UInt8]) throws(ConfigurationChangeError) {
        guard bytes.count >= 3, bytes[0] == 1 else { throw .malformedEncoding }
        guard let transition = Transition(rawValue: bytes[1]) else { throw .malformedEncoding }
        let count = Int(bytes[2])
        guard count <= Self.stepsMax, bytes.count == 3 + count * 9 else { throw .malformedEncoding }
        var steps: [Step] = []
        for position in 0..<count {
            let base = 3 + position * 9
            guard let action = Action(rawValue: bytes[base]) else { throw .malformedEncoding }
            var replica: UInt64 = 0
            for shift in 0..<8 {
                replica |= UInt64(bytes[base + 1 + shift]) << (8 * UInt64(shift))
            }
            steps.append(Step(action, replica))
        }
        self.init(steps, transition: transition)
    }
}

/// Why a configuration change cannot be applied.
public enum ConfigurationChangeError: Error, Sendable, Hashable {
    /// The payload of the entry is not an encoded change.
    case malformedEncoding
    /// Replica id 0 is reserved.
    case invalidReplica
    /// Too many steps in one change.
    case tooManySteps
    /// The group is in a joint configuration; only leaving it is allowed.
    case alreadyJoint
    /// Leaving a joint configuration that is not in force.
    case notJoint
    /// The change would leave the group without voters.
    case removesAllVoters
}

extension ConfigurationState {
    /// The configuration after `change` (etcd-io/raft's `confchange.Changer`).
    /// Throws, and changes nothing, when the change is not allowed here.
    public func applying(_ change: ConfigurationChange) throws(ConfigurationChangeError) -> ConfigurationState {
        if change.isLeaveJoint {
            guard isJoint else { throw .notJoint }
            var next = self
            next.learners.formUnion(learnersNext)
            next.learnersNext = []
            next.votersOutgoing = []
            next.autoLeave = false
            return next
        }
        guard !isJoint else { throw .alreadyJoint }
        guard change.steps.count <= ConfigurationChange.stepsMax else { throw .tooManySteps }
        guard change.steps.allSatisfy({ $0.replica != 0 }) else { throw .invalidReplica }

        var next = self
        let joint = change.transition == .explicit || !Self.changesAtMostOneVoter(from: voters, by: change)
        if joint {
            next.votersOutgoing = voters
            next.autoLeave = change.transition == .automatic
        }
        for step in change.steps {
            switch step.action {
            case .addVoter:
                next.voters.insert(step.replica)
                next.learners.remove(step.replica)
                next.learnersNext.remove(step.replica)
            case .addLearner:
                if next.learners.contains(step.replica) { continue }
                next.voters.remove(step.replica)
                next.learnersNext.remove(step.replica)
                // An outgoing voter keeps voting until the joint
                // configuration is left, and only then becomes a learner.
                if next.votersOutgoing.contains(step.replica) {
                    next.learnersNext.insert(step.replica)
                } else {
                    next.learners.insert(step.replica)
                }
            case .remove:
                next.voters.remove(step.replica)
                next.learners.remove(step.replica)
                next.learnersNext.remove(step.replica)
            }
        }
        guard !next.voters.isEmpty else { throw .removesAllVoters }
        return next
    }

    private static func changesAtMostOneVoter(from voters: Set<ReplicaID>, by change: ConfigurationChange) -> Bool {
        var after = voters
        for step in change.steps {
            switch step.action {
            case .addVoter: after.insert(step.replica)
            case .addLearner, .remove: after.remove(step.replica)
            }
        }
        return after.symmetricDifference(voters).count <= 1
    }
}
