import PropertyBased
import Testing

@testable import ConcordClocks

/// Runs a random message-passing execution among three processes with a
/// Lamport clock and a vector clock each, keeping every event's true causal
/// history (the set of events that happened before it, itself included).
struct Execution {
    struct Event {
        var process: Int
        var lamport: UInt64
        var vector: VectorClock
        var history: Set<Int>
    }

    var events: [Event] = []

    /// `steps` are (process, action, target): action 0 is a local event,
    /// 1 a send to `target`, 2 the receipt of the oldest message waiting at
    /// the process.
    init(steps: [(Int, Int, Int)]) {
        let processCount = 3
        var lamport = Array(repeating: LamportClock(), count: processCount)
        var vector = Array(repeating: VectorClock(), count: processCount)
        var lastEvent: [Int?] = Array(repeating: nil, count: processCount)
        var inbox: [[(lamport: UInt64, vector: VectorClock, sendEvent: Int)]] = Array(repeating: [], count: processCount)

        func record(_ process: Int, _ lamportTime: UInt64, _ clock: VectorClock, extra: Int?) {
            var history: Set<Int> = [events.count]
            if let previous = lastEvent[process] { history.formUnion(events[previous].history) }
            if let extra { history.formUnion(events[extra].history) }
            lastEvent[process] = events.count
            events.append(Event(process: process, lamport: lamportTime, vector: clock, history: history))
        }

        for (process, action, target) in steps {
            let replica = ReplicaID(UInt64(process))
            switch action {
            case 0:
                let time = lamport[process].tick()
                record(process, time, vector[process].tick(replica), extra: nil)
            case 1:
                let time = lamport[process].send()
                let clock = vector[process].send(replica)
                record(process, time, clock, extra: nil)
                inbox[target].append((time, clock, events.count - 1))
            default:
                guard !inbox[process].isEmpty else { continue }
                let message = inbox[process].removeFirst()
                let time = lamport[process].receive(message.lamport)
                let clock = vector[process].receive(message.vector, at: replica)
                record(process, time, clock, extra: message.sendEvent)
            }
        }
    }
}

@Suite struct CausalityTests {
    static let steps = zip(Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int(in: 0...2)).array(of: 0...60)

    @Test func vectorClocksCharacterizeHappenedBeforeExactly() async {
        await propertyCheck(count: 200, input: Self.steps) { steps in
            let execution = Execution(steps: steps)
            for (i, e) in execution.events.enumerated() {
                for (j, f) in execution.events.enumerated() where i != j {
                    let happenedBefore = f.history.contains(i)
                    #expect(e.vector.happenedBefore(f.vector) == happenedBefore)
                    let concurrent = !happenedBefore && !e.history.contains(j)
                    #expect(e.vector.isConcurrent(with: f.vector) == concurrent)
                }
            }
        }
    }

    @Test func lamportClocksRespectHappenedBefore() async {
        await propertyCheck(count: 200, input: Self.steps) { steps in
            let execution = Execution(steps: steps)
            for (i, e) in execution.events.enumerated() {
                for (j, f) in execution.events.enumerated() where i != j && f.history.contains(i) {
                    #expect(e.lamport < f.lamport)
                }
            }
        }
    }

    static let vector = Gen.uint64(in: 0...4).array(of: 4).map { counts in
        VectorClock(Dictionary(uniqueKeysWithValues: counts.enumerated().map { (ReplicaID(UInt64($0.offset)), $0.element) }))
    }

    @Test func vectorComparisonIsPointwiseAndAntisymmetric() async {
        await propertyCheck(count: 300, input: Self.vector, Self.vector) { a, b in
            let all = (0..<4).map { ReplicaID(UInt64($0)) }
            let lessOrEqual = all.allSatisfy { a[$0] <= b[$0] }
            let greaterOrEqual = all.allSatisfy { a[$0] >= b[$0] }
            let expected: CausalOrder =
                switch (lessOrEqual, greaterOrEqual) {
                case (true, true): .equal
                case (true, false): .before
                case (false, true): .after
                case (false, false): .concurrent
                }
            #expect(a.compare(b) == expected)
            #expect(b.compare(a) == expected.reversed)
            #expect(a.compare(a) == .equal)
            #expect((a.compare(b) == .equal) == (a == b))
        }
    }

    @Test func vectorMergeIsTheLeastUpperBound() async {
        await propertyCheck(count: 300, input: Self.vector, Self.vector, Self.vector) { a, b, c in
            let ab = a.merging(b)
            #expect(ab == b.merging(a))
            #expect(ab.merging(c) == a.merging(b.merging(c)))
            #expect(a.merging(a) == a)
            #expect([.after, .equal].contains(ab.compare(a)))
            #expect([.after, .equal].contains(ab.compare(b)))
            // Least: any upper bound of both is above the merge.
            if [.after, .equal].contains(c.compare(a)) && [.after, .equal].contains(c.compare(b)) {
                #expect([.after, .equal].contains(c.compare(ab)))
            }
        }
    }

    @Test func happenedBeforeIsTransitive() async {
        await propertyCheck(count: 300, input: Self.vector, Self.vector, Self.vector) { a, b, c in
            var later = a.merging(b)
            later.tick(1)
            var latest = later.merging(c)
            latest.tick(2)
            #expect(a.happenedBefore(later))
            #expect(later.happenedBefore(latest))
            #expect(a.happenedBefore(latest))
        }
    }

    @Test func lamportReceiveMovesPastTheSender() {
        var clock = LamportClock(time: 3)
        #expect(clock.receive(10) == 11)
        #expect(clock.receive(2) == 12)
        #expect(clock.send() == 13)
    }

    @Test func versionVectorContainsExactlyItsPrefix() {
        var vector = VersionVector()
        #expect(vector.increment(7) == Dot(replica: 7, counter: 1))
        #expect(vector.increment(7) == Dot(replica: 7, counter: 2))
        #expect(vector.contains(Dot(replica: 7, counter: 2)))
        #expect(!vector.contains(Dot(replica: 7, counter: 3)))
        let addedWithGap = vector.add(Dot(replica: 7, counter: 4))
        #expect(!addedWithGap)
        #expect(vector[7] == 2)
        let addedNext = vector.add(Dot(replica: 7, counter: 3))
        #expect(addedNext)
        #expect(vector[7] == 3)
    }
}
