import ConcordClocks
import ConcordCRDT
import ConcordSimulation

/// The bugs the `hlc` scenario can re-introduce into its hybrid clocks.
enum HybridClockBug: String, CaseIterable, Sendable {
    /// The receive rule ignores the sender's timestamp and stamps the
    /// receipt as a local event, so a message from a node whose clock is
    /// ahead is received "before" it was sent.
    case noReceiveMerge = "no-receive-merge"
    /// The receive rule accepts remote timestamps however far ahead of the
    /// local clock they are, so one node whose clock jumped far ahead drags
    /// every clock it talks to away from physical time.
    case noOffsetBound = "no-offset-bound"
    /// After the physical clock steps back, the next local event takes the
    /// physical reading instead of staying past the last timestamp.
    case physicalAfterJump = "physical-after-jump"
}

/// One write of the replicated register, with both of its stamps.
struct HybridClockWrite: Sendable {
    /// The write's number: the writer's slot times `writesPerNodeMax` plus
    /// its sequence number.
    var id: Int
    var writer: NodeID
    /// The writer's physical clock when it wrote.
    var physicalNanoseconds: Int64
    /// The writer's hybrid clock when it wrote.
    var hybrid: HybridTimestamp
    /// The writes this one causally follows (those its writer had applied,
    /// and itself), as a bit set over write ids. Only the checker reads it.
    var causalPast: [UInt64]
}

/// What a node stamped, and when in true time.
struct HybridStamp: Sendable {
    var trueTime: SimulationInstant
    var stamp: HybridTimestamp
    var isReceipt: Bool
}

/// How a run's nodes behave, drawn from the seed.
struct HybridClockSettings: Sendable {
    var nodes: [NodeID]
    var writesPerNodeMax: Int
    var writeIntervalMax: SimulationDuration
    /// `HybridLogicalClock.maximumOffsetNanoseconds`: twice the skew bound,
    /// the largest honest difference between two clocks.
    var maximumOffsetNanoseconds: Int64
    var bug: HybridClockBug?

    var bitWords: Int { (nodes.count * writesPerNodeMax + 63) / 64 }
}

/// A replica of two last-writer-wins registers fed the same writes: one
/// ordered by the writer's physical clock, one by its hybrid logical clock
/// (`LWWRegister` with `HybridLogicalClock` stamps). It writes at random
/// times and sends every write to every other node.
struct HybridClockNode: SimulatedNode {
    typealias Message = HybridClockWrite
    typealias DurableState = Never

    static let writeTimer = TimerID(1)

    let id: NodeID
    let slot: Int
    let settings: HybridClockSettings
    var clock: HybridLogicalClock<ManualClock>
    /// Ordered by physical time: the stamp's wall time is the writer's clock, its logical part 0.
    var physicalRegister = LWWRegister<Int>()
    var hybridRegister = LWWRegister<Int>()
    /// The writes applied here, as a bit set (this node's causal knowledge).
    var applied: [UInt64]
    var appliedIDs: [Int] = []
    var stamps: [HybridStamp] = []
    var rejected = 0
    /// This node's own writes.
    var written: [HybridClockWrite] = []
    /// Causal edges checked at receipt: (send stamp, receive stamp).
    var receipts: [(sent: HybridTimestamp, received: HybridTimestamp, write: Int)] = []
    private var writes = 0

    init(id: NodeID, durable: Never?, context: inout NodeContext<Message, Never>) {
        preconditionFailure("built by HybridClockScenario with its settings")
    }

    init(id: NodeID, settings: HybridClockSettings, context: inout NodeContext<Message, Never>) {
        self.id = id
        self.slot = settings.nodes.firstIndex(of: id)!
        self.settings = settings
        clock = HybridLogicalClock(
            physicalClock: ManualClock(nanoseconds: context.now.nanoseconds),
            maximumOffsetNanoseconds: settings.maximumOffsetNanoseconds)
        applied = [UInt64](repeating: 0, count: settings.bitWords)
        armTimer(&context)
    }

    mutating func armTimer(_ context: inout NodeContext<Message, Never>) {
        let delay = context.random.next(in: 1_000_000...settings.writeIntervalMax.nanoseconds)
        context.setTimer(Self.writeTimer, after: .nanoseconds(delay))
    }

    mutating func onTimer(_ timer: TimerID, context: inout NodeContext<Message, Never>) {
        guard writes < settings.writesPerNodeMax else { return }
        let physical = context.now.nanoseconds
        clock.physicalClock.nanoseconds = physical
        let stamp: HybridTimestamp
        if settings.bug == .physicalAfterJump, physical < clock.last.wallNanoseconds {
            stamp = HybridTimestamp(wallNanoseconds: physical, logical: 0)
            clock = HybridLogicalClock(
                physicalClock: clock.physicalClock, maximumOffsetNanoseconds: clock.maximumOffsetNanoseconds, last: stamp)
        } else {
            stamp = clock.now()
        }
        let writeID = slot * settings.writesPerNodeMax + writes
        writes += 1
        var past = applied
        past[writeID / 64] |= 1 << UInt64(writeID % 64)
        let write = HybridClockWrite(id: writeID, writer: id, physicalNanoseconds: physical, hybrid: stamp, causalPast: past)
        stamps.append(HybridStamp(trueTime: context.trueTime, stamp: stamp, isReceipt: false))
        written.append(write)
        apply(write)
        context.log("write w\(writeID) physical \(physical) hlc \(stamp)")
        for peer in settings.nodes where peer != id {
            context.send(write, to: peer)
        }
        armTimer(&context)
    }

    mutating func onMessage(_ write: Message, from: NodeID, context: inout NodeContext<Message, Never>) {
        clock.physicalClock.nanoseconds = context.now.nanoseconds
        let stamp: HybridTimestamp
        switch settings.bug {
        case .noReceiveMerge?:
            stamp = clock.now()
        case .noOffsetBound?:
            var unbounded = HybridLogicalClock(physicalClock: clock.physicalClock, maximumOffsetNanoseconds: .max, last: clock.last)
            guard let accepted = try? unbounded.receive(write.hybrid) else { return reject(write, context: &context) }
            clock = HybridLogicalClock(
                physicalClock: clock.physicalClock, maximumOffsetNanoseconds: clock.maximumOffsetNanoseconds, last: accepted)
            stamp = accepted
        default:
            guard let accepted = try? clock.receive(write.hybrid) else { return reject(write, context: &context) }
            stamp = accepted
        }
        stamps.append(HybridStamp(trueTime: context.trueTime, stamp: stamp, isReceipt: true))
        receipts.append((write.hybrid, stamp, write.id))
        apply(write)
        context.log("apply w\(write.id) from n\(from) hlc \(stamp)")
    }

    mutating func reject(_ write: HybridClockWrite, context: inout NodeContext<Message, Never>) {
        rejected += 1
        context.log("reject w\(write.id): hlc \(write.hybrid) too far ahead of local \(clock.physicalClock.nanoseconds)")
    }

    mutating func apply(_ write: HybridClockWrite) {
        let replica = ReplicaID(UInt64(write.writer))
        physicalRegister.assign(
            write.id, timestamp: HybridTimestamp(wallNanoseconds: write.physicalNanoseconds, logical: 0), at: replica)
        hybridRegister.assign(write.id, timestamp: write.hybrid, at: replica)
        for word in 0..<applied.count { applied[word] |= write.causalPast[word] }
        if !appliedIDs.contains(write.id) { appliedIDs.append(write.id) }
    }

    mutating func onDurable(_ token: PersistToken, context: inout NodeContext<Message, Never>) {}
}

extension HybridClockWrite: CustomStringConvertible {
    var description: String { "w\(id) physical \(physicalNanoseconds) hlc \(hybrid)" }
}
