/// A value an acceptor accepted, with the ballot it accepted it in.
public struct AcceptedValue: Sendable, Hashable {
    /// The ballot of the accepted proposal.
    public var ballot: Ballot
    /// The value proposed.
    public var value: [UInt8]

    /// Creates an accepted value.
    public init(ballot: Ballot, value: [UInt8]) {
        self.ballot = ballot
        self.value = value
    }
}

/// The acceptor of one single-decree Paxos instance ("Paxos Made Simple"
/// §2.2): the highest ballot it promised and the proposal it last
/// accepted. Both must be durable before any answer that reports them
/// leaves (§2.5); the node that owns the acceptor enforces that.
public struct Acceptor: Sendable, Hashable {
    /// What an acceptor answers to a prepare request (phase 1b).
    public enum PrepareAnswer: Sendable, Hashable {
        /// A promise not to accept a lower ballot, with the proposal it
        /// accepted last, if any.
        case promise(accepted: AcceptedValue?)
        /// A refusal: the acceptor has promised this higher ballot.
        case reject(promised: Ballot)
    }

    /// What an acceptor answers to an accept request (phase 2b).
    public enum AcceptAnswer: Sendable, Hashable {
        /// The proposal is accepted.
        case accepted
        /// A refusal: the acceptor has promised this higher ballot.
        case reject(promised: Ballot)
    }

    /// The highest ballot promised (or accepted).
    public private(set) var promised: Ballot
    /// The proposal accepted last.
    public private(set) var accepted: AcceptedValue?

    /// Creates an acceptor, fresh or restored from its durable state.
    public init(promised: Ballot = .zero, accepted: AcceptedValue? = nil) {
        self.promised = promised
        self.accepted = accepted
    }

    /// Phase 1b: promises `ballot` unless a higher ballot was promised. A
    /// repeated prepare of the promised ballot is answered again (only its
    /// owner sends it, and the promise may have been lost).
    public mutating func receivePrepare(_ ballot: Ballot) -> PrepareAnswer {
        guard ballot >= promised else { return .reject(promised: promised) }
        promised = ballot
        return .promise(accepted: accepted)
    }

    /// Phase 2b: accepts unless a higher ballot was promised (P1a).
    ///
    /// - Parameter ignoringPromise: Test-only (`PaxosBug.acceptLowerBallot`):
    ///   accept even below the promise.
    public mutating func receiveAccept(_ ballot: Ballot, value: [UInt8], ignoringPromise: Bool = false) -> AcceptAnswer {
        guard ballot >= promised || ignoringPromise else { return .reject(promised: promised) }
        promised = Swift.max(promised, ballot)
        accepted = AcceptedValue(ballot: ballot, value: value)
        return .accepted
    }
}
