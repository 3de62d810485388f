import ConcordClocks
import PropertyBased
import Testing

@testable import ConcordCRDT

/// For every type: random executions on three replicas satisfy the
/// semilattice laws, the delta-mutator law, delta/full-state equivalence,
/// and encoding round trips.
@Suite struct LatticeLawTests {
    @Test func gCounter() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<GCounter> = execute(steps) { state, replica, _, argument, _ in
                state.increment(by: UInt64(argument % 5 + 1), at: replica)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
            // The merged value is the sum of every increment.
            var total: UInt64 = 0
            for (_, action, argument) in steps where action < mergeAction {
                total += UInt64(argument % 5 + 1)
            }
            let merged = outcome.replicas.reduce(GCounter()) { $0.merging($1) }
            #expect(merged.value == total)
        }
    }

    @Test func pnCounter() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<PNCounter> = execute(steps) { state, replica, action, argument, _ in
                action % 2 == 0
                    ? state.increment(by: UInt64(argument + 1), at: replica)
                    : state.decrement(by: UInt64(argument + 1), at: replica)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
            var total: Int64 = 0
            for (_, action, argument) in steps where action < mergeAction {
                total += action % 2 == 0 ? Int64(argument + 1) : -Int64(argument + 1)
            }
            #expect(outcome.replicas.reduce(PNCounter()) { $0.merging($1) }.value == total)
        }
    }

    @Test func gSet() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<GSet<Int>> = execute(steps) { state, _, _, argument, _ in
                state.insert(argument % 8)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func twoPhaseSet() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<TwoPhaseSet<Int>> = execute(steps) { state, _, action, argument, _ in
                action % 2 == 0 ? state.insert(argument % 6) : state.remove(argument % 6)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func lwwRegister() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            // Wall times collide often across replicas, so the replica
            // identity has to break ties; a replica never reuses a stamp.
            let outcome: Outcome<LWWRegister<Int>> = execute(steps) { state, replica, _, argument, local in
                state.assign(
                    argument * 10 + Int(replica.rawValue),
                    timestamp: HybridTimestamp(wallNanoseconds: Int64(argument % 3), logical: UInt32(local)), at: replica)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
            // The merged winner is the write with the greatest stamp.
            let merged = outcome.replicas.reduce(LWWRegister()) { $0.merging($1) }
            let greatest = outcome.deltas.compactMap(\.winner).max { $0.stamp < $1.stamp }
            #expect(merged.winner == greatest)
        }
    }

    @Test func lwwMap() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<LWWMap<Int, Int>> = execute(steps) { state, replica, action, argument, local in
                let timestamp = HybridTimestamp(wallNanoseconds: Int64(argument % 3), logical: UInt32(local))
                return action == 3
                    ? state.remove(argument % 4, timestamp: timestamp, at: replica)
                    : state.set(argument % 4, to: argument, timestamp: timestamp, at: replica)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func mvRegister() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<MVRegister<Int>> = execute(steps) { state, replica, action, argument, _ in
                action == 3 ? state.reset() : state.assign(argument, at: replica)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func orSet() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<ORSet<Int>> = execute(steps) { state, replica, action, argument, _ in
                action % 2 == 0 ? state.insert(argument % 6, at: replica) : state.remove(argument % 6)
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
            // Invariant: every live dot is in the context.
            for replica in outcome.replicas {
                #expect(replica.store.dots.allSatisfy(replica.context.contains))
            }
        }
    }

    @Test func orMapOfORSets() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<ORMap<Int, ORSet<Int>>> = execute(steps) { state, replica, action, argument, _ in
                switch action {
                case 0, 1: state.update(argument % 3) { $0.insert(argument / 3, at: replica) }
                case 2: state.update(argument % 3) { $0.remove(argument / 3) }
                default: state.remove(argument % 3)
                }
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func orMapOfMVRegisters() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<ORMap<Int, MVRegister<Int>>> = execute(steps) { state, replica, action, argument, _ in
                action == 3 ? state.remove(argument % 3) : state.update(argument % 3) { $0.assign(argument, at: replica) }
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }

    @Test func nestedORMaps() async throws {
        await propertyCheck(count: 200, input: executions) { steps in
            let outcome: Outcome<ORMap<Int, ORMap<Int, ORSet<Int>>>> = execute(steps) { state, replica, action, argument, _ in
                switch action {
                case 0, 1:
                    state.update(argument % 2) { inner in inner.update(argument % 3) { $0.insert(argument, at: replica) } }
                case 2: state.update(argument % 2) { $0.remove(argument % 3) }
                default: state.remove(argument % 2)
                }
            }
            checkLaws(outcome)
            try checkEncodings(outcome)
        }
    }
}
