import ConcordCRDT
import ConcordClocks
import Testing

@testable import ConcordLab

@Suite struct CRDTDeltaGossipReplicaTests {
    typealias Replica = DeltaGossipReplica<GCounter>

    func increment(_ replica: inout Replica, by amount: UInt64 = 1) {
        let id = ReplicaID(UInt64(replica.id))
        replica.update { $0.increment(by: amount, at: id) }
    }

    /// Ticks until a tick that is not a periodic full-state tick, returning its messages.
    func regularTick(_ replica: inout Replica) -> [(to: Int, message: Replica.Message)] {
        while true {
            let messages = replica.onTick()
            let periodic = messages.contains { if case .fullState = $0.message { true } else { false } }
            if !periodic { return messages }
        }
    }

    @Test func aLostDeltaIsResentUntilAcknowledged() {
        var a = Replica(id: 0, peers: [1])
        var b = Replica(id: 1, peers: [0])
        increment(&a, by: 5)
        let lost = regularTick(&a)
        guard case .delta(_, let firstSequence)? = lost.first?.message else {
            Issue.record("expected a delta, got \(lost)")
            return
        }
        // The first message is lost; the next tick sends the delta again.
        let resent = regularTick(&a)
        guard case .delta(let delta, let sequence)? = resent.first?.message else {
            Issue.record("expected the delta again, got \(resent)")
            return
        }
        #expect(sequence == firstSequence)
        let replies = b.onMessage(.delta(delta, sequence: sequence), from: 0)
        #expect(b.state.value == 5)
        for (_, reply) in replies {
            _ = a.onMessage(reply, from: 1)
        }
        // Acknowledged: nothing more to send until the next update.
        #expect(regularTick(&a).isEmpty)
        increment(&a)
        #expect(regularTick(&a).count == 1)
    }

    @Test func aPeerFarBehindGetsTheFullStateInstead() {
        var a = Replica(id: 0, peers: [1])
        for _ in 0..<Int(Replica.deltaJoinCountMax) + 1 {
            increment(&a)
        }
        let messages = a.onTick()
        guard case .fullState(let state, _)? = messages.first?.message else {
            Issue.record("expected a full state, got \(messages)")
            return
        }
        #expect(state == a.state)
        #expect(a.fullStateBytesSent > 0)
        #expect(a.deltaBytesSent == 0)
    }

    @Test func duplicatedAndReorderedDeliveryConverges() {
        var replicas = (0..<3).map { id in Replica(id: id, peers: (0..<3).filter { $0 != id }) }
        var inFlight: [(from: Int, to: Int, message: Replica.Message)] = []
        for round in 0..<20 {
            increment(&replicas[round % 3], by: UInt64(round + 1))
            for id in 0..<3 {
                inFlight += replicas[id].onTick().map { (id, $0.to, $0.message) }
            }
            // Deliver newest first, each message twice.
            let batch = inFlight.reversed()
            inFlight = []
            for (from, to, message) in batch {
                for _ in 0..<2 {
                    inFlight += replicas[to].onMessage(message, from: from).map { (to, $0.to, $0.message) }
                }
            }
        }
        for _ in 0..<5 {
            for id in 0..<3 {
                inFlight += replicas[id].onTick().map { (id, $0.to, $0.message) }
            }
            let batch = inFlight
            inFlight = []
            for (from, to, message) in batch {
                inFlight += replicas[to].onMessage(message, from: from).map { (to, $0.to, $0.message) }
            }
        }
        let total = UInt64((1...20).reduce(0, +))
        #expect(replicas.allSatisfy { $0.state.value == total })
    }
}
