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
        public var replica: MemberID

        /// Creates a step.
        public init(_ action: Action, _ replica: MemberID) {
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
    /// Bytes the application attaches to the change and reads back when the
    /// entry is applied (etcd-io/raft's `ConfChange.Context`; Concord's
    /// server carries the member's name and URLs in it). Opaque to Raft.
    public var context: [UInt8]

    /// Creates a change.
    public init(_ steps: [Step], transition: Transition = .automatic, context: [UInt8] = []) {
        self.steps = steps
        self.transition = transition
        self.context = context
    }

    /// The change that leaves a joint configuration.
    public static let leaveJoint = ConfigurationChange([])

    /// True for the change that leaves a joint configuration.
    public var isLeaveJoint: Bool { steps.isEmpty }

    /// The most steps a change may carry.
    public static let stepsMax = 64
    /// The largest context a change may carry, in bytes.
    public static let contextBytesMax = 64 * 1024

    /// The change encoded as the payload of a log entry.
    ///
    /// Layout: a format byte, the transition byte, the step count, then each
    /// step as its action byte and replica id (8 bytes, little-endian).
    /// Format 1 ends there; format 2, written only when `context` is not
    /// empty, follows with the context's length (4 bytes, little-endian)
    /// and its bytes. A change without context encodes exactly as before
    /// contexts existed, so existing logs keep their meaning.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [context.isEmpty ? 1 : 2, transition.rawValue, UInt8(steps.count)]
        for step in steps {
            bytes.append(step.action.rawValue)
            withUnsafeBytes(of: step.replica.littleEndian) { bytes.append(contentsOf: $0) }
        }
        if !context.isEmpty {
            withUnsafeBytes(of: UInt32(context.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: context)
        }
        return bytes
    }

    /// Decodes a payload written by `encoded()`.
    /// - Throws: `ConfigurationChangeError.malformedEncoding` for anything
    ///   `encoded()` cannot produce (an unknown format, action or
    ///   transition, too many steps, an empty or oversized context, a
    ///   length that does not match).
    public init(decoding bytes: [UInt8]) throws(ConfigurationChangeError) {
        guard bytes.count >= 3, bytes[0] == 1 || bytes[0] == 2 else { throw .malformedEncoding }
        let hasContext = bytes[0] == 2
        guard let transition = Transition(rawValue: bytes[1]) else { throw .malformedEncoding }
        let count = Int(bytes[2])
        let stepsEnd = 3 + count * 9
        guard count <= Self.stepsMax, bytes.count >= stepsEnd else { throw .malformedEncoding }
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
        var context: [UInt8] = []
        if hasContext {
            guard bytes.count >= stepsEnd + 4 else { throw .malformedEncoding }
            var length = 0
            for shift in 0..<4 { length |= Int(bytes[stepsEnd + shift]) << (8 * shift) }
            guard length >= 1, length <= Self.contextBytesMax, bytes.count == stepsEnd + 4 + length else {
                throw .malformedEncoding
            }
            context = Array(bytes[(stepsEnd + 4)...])
        } else {
            guard bytes.count == stepsEnd else { throw .malformedEncoding }
        }
        self.init(steps, transition: transition, context: context)
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

    private static func changesAtMostOneVoter(from voters: Set<MemberID>, by change: ConfigurationChange) -> Bool {
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
