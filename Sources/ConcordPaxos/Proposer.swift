/// One attempt of a proposer in one single-decree Paxos instance ("Paxos
/// Made Simple" §2.2): phase 1 with `ballot`, then phase 2 with the value
/// of the highest-numbered proposal the promises report, or with its own
/// value when none reports one.
///
/// A proposer whose attempt is refused or times out starts a new attempt
/// with a higher ballot; the node that owns it backs off at random first
/// (§2.4), so that duelling proposers do not preempt each other forever.
public struct Proposer: Sendable, Hashable {
    /// Where the attempt stands.
    public enum Phase: Sendable, Hashable {
        /// Waiting for promises from a phase-1 quorum.
        case preparing
        /// Waiting for acceptances of `value` from a phase-2 quorum.
        case accepting(value: [UInt8])
    }

    /// The attempt's ballot.
    public let ballot: Ballot
    /// The value proposed when no promise reports an accepted one.
    public let ownValue: [UInt8]
    /// The quorum sizes.
    public let quorums: QuorumSizes
    /// Test-only (`PaxosBug.ignoreHighestAccepted`): propose the own value
    /// whatever the promises report.
    public let ignoresHighestAccepted: Bool
    /// Where the attempt stands.
    public private(set) var phase: Phase = .preparing
    /// The promises received, with what each reported.
    public private(set) var promises: [ReplicaID: AcceptedValue?] = [:]

    /// Starts an attempt.
    public init(ballot: Ballot, ownValue: [UInt8], quorums: QuorumSizes, ignoresHighestAccepted: Bool = false) {
        self.ballot = ballot
        self.ownValue = ownValue
        self.quorums = quorums
        self.ignoresHighestAccepted = ignoresHighestAccepted
    }

    /// Counts a promise. Returns the value to send in phase 2 when this
    /// promise completes a phase-1 quorum, nil otherwise.
    public mutating func receivePromise(from acceptor: ReplicaID, accepted: AcceptedValue?) -> [UInt8]? {
        guard phase == .preparing else { return nil }
        promises[acceptor] = accepted
        guard promises.count >= quorums.phaseOne else { return nil }
        let value = ignoresHighestAccepted ? ownValue : Self.valueToPropose(promises.values, ownValue: ownValue)
        phase = .accepting(value: value)
        return value
    }

    /// The phase-2a rule (P2c): the value of the highest-numbered accepted
    /// proposal among the promises, or `ownValue` when none accepted any.
    public static func valueToPropose(_ reports: some Sequence<AcceptedValue?>, ownValue: [UInt8]) -> [UInt8] {
        var highest: AcceptedValue?
        for case let report? in reports where report.ballot > (highest?.ballot ?? .zero) {
            highest = report
        }
        return highest?.value ?? ownValue
    }
}
