import Testing
import ConcordSimulation

@Suite("FaultPlan: swarm testing from a seed")
struct FaultPlanTests {
    static let nodes = [0, 1, 2, 3, 4]
    static let safetyPhase = SimulationDuration.seconds(5)
    static let limits = FaultLimits(faultIntervalMin: .milliseconds(20), faultIntervalMax: .milliseconds(200))

    static func plan(_ seed: UInt64, nodes: [NodeID] = nodes, limits: FaultLimits = limits) -> FaultPlan {
        FaultPlan.random(seed: seed, nodes: nodes, safetyPhase: safetyPhase, limits: limits)
    }

    @Test func theSameSeedGivesTheSamePlan() {
        let first = Self.plan(31)
        let second = Self.plan(31)
        #expect(first.faults.map(\.0) == second.faults.map(\.0))
        #expect(first.faults.map(\.1) == second.faults.map(\.1))
        #expect(first.healedNodes == second.healedNodes)
        #expect(first.network == second.network)
    }

    @Test func seedsPickDifferentKindsAndRates() {
        let plans = (0..<64).map { Self.plan($0) }
        #expect(Set(plans.map(\.kinds.rawValue)).count > 10)
        #expect(Set(plans.map(\.faultInterval)).count > 50)
        #expect(plans.contains { $0.kinds.contains(.crash) } && plans.contains { !$0.kinds.contains(.crash) })
    }

    @Test func faultsStayInTheSafetyPhaseAndWithinTheLimits() {
        for seed in UInt64(0)..<200 {
            let plan = Self.plan(seed)
            let limits = Self.limits
            #expect(plan.healedAt == SimulationInstant.zero + Self.safetyPhase)
            for (time, fault) in plan.faults {
                #expect(time <= plan.healedAt && time > .zero)
                switch fault {
                case .network(let conditions):
                    #expect(conditions.lossPerMillion <= limits.lossPerMillionMax)
                    #expect(conditions.duplicationPerMillion <= limits.duplicationPerMillionMax)
                    #expect(conditions.reorderPerMillion <= limits.reorderPerMillionMax)
                    #expect(conditions.latencyMax <= limits.latencyMax)
                case .clockSkew(_, let skew, let drift):
                    #expect(abs(skew.nanoseconds) <= limits.clockSkewMax.nanoseconds)
                    #expect(abs(drift) <= limits.clockDriftPerMillionMax)
                case .clockJump(_, let amount):
                    #expect(abs(amount.nanoseconds) <= limits.clockJumpMax.nanoseconds)
                default:
                    break
                }
            }
            #expect(zip(plan.faults, plan.faults.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        }
    }

    @Test func atMostAMinorityIsDownAtOnce() {
        for seed in UInt64(0)..<200 {
            var unavailable: Set<NodeID> = []
            var most = 0
            for (_, fault) in Self.plan(seed).faults {
                switch fault {
                case .crash(let node), .pause(let node): unavailable.insert(node)
                case .restart(let node), .resume(let node): unavailable.remove(node)
                default: break
                }
                most = max(most, unavailable.count)
            }
            #expect(most <= 2, "seed \(seed)")
        }
    }

    @Test func aMajorityIsHealedAtTheEndOfTheSafetyPhase() {
        for seed in UInt64(0)..<200 {
            let plan = Self.plan(seed)
            #expect(plan.healedNodes.count == 3)
            var down: Set<NodeID> = []
            var blocked = false
            var lossy = plan.network.lossPerMillion > 0
            for (_, fault) in plan.faults {
                switch fault {
                case .crash(let node), .pause(let node): down.insert(node)
                case .restart(let node), .resume(let node): down.remove(node)
                case .partition, .block: blocked = true
                case .heal: blocked = false
                case .network(let conditions): lossy = conditions.lossPerMillion > 0
                default: break
                }
            }
            #expect(!blocked)
            #expect(!lossy)
            #expect(down.isDisjoint(with: plan.healedNodes), "seed \(seed)")
        }
    }

    @Test func aHealedMajorityMakesProgressInTheSimulator() {
        for seed in UInt64(0)..<20 {
            var sim = Simulator<PingNode>(seed: seed, nodeIDs: Self.nodes, recordsTrace: false)
            let plan = Self.plan(seed)
            plan.schedule(on: &sim)
            sim.run(until: plan.healedAt)
            let roundsAtHealing = plan.healedNodes.map { sim.node($0)?.round ?? 0 }
            sim.run(until: plan.healedAt + .seconds(1))
            for (node, before) in zip(plan.healedNodes, roundsAtHealing) {
                #expect(sim.isRunning(node) && !sim.isPaused(node), "seed \(seed) n\(node)")
                #expect((sim.node(node)?.round ?? 0) > before + 50, "seed \(seed) n\(node)")
            }
        }
    }

    @Test func limitsToOneKindUseOnlyThatKind() {
        let limits = FaultLimits(kinds: .partition)
        for seed in UInt64(0)..<50 {
            for (time, fault) in Self.plan(seed, limits: limits).faults where time < .zero + Self.safetyPhase {
                switch fault {
                case .partition, .heal: break
                default: Issue.record("seed \(seed): unexpected \(fault)")
                }
            }
        }
    }

    @Test func clusterSizeIsPickedFromTheSeedWithinItsRange() {
        let sizes = (UInt64(0)..<100).map { FaultLimits.clusterSize(seed: $0, in: 3...7) }
        #expect(Set(sizes) == [3, 4, 5, 6, 7])
        #expect(FaultLimits.clusterSize(seed: 12, in: 3...7) == FaultLimits.clusterSize(seed: 12, in: 3...7))
    }
}

@Suite("Sweep")
struct SweepTests {
    @Test func aSweepReturnsTheFailingSeedsAndReportsProgress() {
        var reports: [(Int, Int)] = []
        let failing = Sweep.run(seeds: 10..<30, progress: { reports.append(($0, $1)) }) { seed in seed % 7 != 0 }
        #expect(failing == [14, 21, 28])
        #expect(reports.count == 20)
        #expect(reports.last! == (20, 3))
        #expect(reports[4] == (5, 1))
    }

    @Test func aSweepCanStopAfterEnoughFailures() {
        var tried: [UInt64] = []
        let failing = Sweep.run(seeds: 0..<100, failuresMax: 2) { seed in
            tried.append(seed)
            return seed % 10 != 3
        }
        #expect(failing == [3, 13])
        #expect(tried.last == 13)
    }
}
