import ConcordFoundation
import ConcordClocks
import Foundation
import PropertyBased
import Testing

@testable import ConcordCRDT

/// One step of a random replicated execution over three replicas:
/// `(replica, action, argument)`. Actions below `mergeAction` are mutators
/// (the type decides what they mean); `mergeAction` and above merge the
/// full state of replica `argument % 3` into `replica`.
typealias Step = (replica: Int, action: Int, argument: Int)

let replicaCount = 3
let mergeAction = 4

/// Random executions: mostly mutations, some merges.
let executions = zip(Gen.int(in: 0...2), Gen.int(in: 0...5), Gen.int(in: 0...11)).array(of: 0...40)

/// What a random execution produced.
struct Outcome<State: StateCRDT> {
    var replicas: [State]
    var deltas: [State]
}

/// Runs `steps`; `mutate(&state, replica, action, argument, localStep)`
/// applies a mutator and returns its delta. Checks the delta-mutator law
/// `old ⊔ delta == new` at every step.
func execute<State: StateCRDT>(
    _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation,
    mutate: (inout State, ReplicaID, Int, Int, Int) -> State
) -> Outcome<State> {
    var replicas = Array(repeating: State(), count: replicaCount)
    var deltas: [State] = []
    var localSteps = Array(repeating: 0, count: replicaCount)
    for (replica, action, argument) in steps {
        if action >= mergeAction {
            replicas[replica].merge(replicas[argument % replicaCount])
            continue
        }
        localSteps[replica] += 1
        let old = replicas[replica]
        let delta = mutate(&replicas[replica], ReplicaID(UInt64(replica)), action, argument, localSteps[replica])
        #expect(old.merging(delta) == replicas[replica], "delta law broken", sourceLocation: sourceLocation)
        deltas.append(delta)
    }
    return Outcome(replicas: replicas, deltas: deltas)
}

/// Checks the semilattice laws and delta equivalence on an outcome.
func checkLaws<State: StateCRDT>(_ outcome: Outcome<State>, sourceLocation: SourceLocation = #_sourceLocation) {
    let a = outcome.replicas[0]
    let b = outcome.replicas[1]
    let c = outcome.replicas[2]
    #expect(a.merging(b) == b.merging(a), "merge not commutative", sourceLocation: sourceLocation)
    #expect(a.merging(b).merging(c) == a.merging(b.merging(c)), "merge not associative", sourceLocation: sourceLocation)
    #expect(a.merging(a) == a, "merge not idempotent", sourceLocation: sourceLocation)
    #expect(a.isCovered(by: a.merging(b)), "merge lost information", sourceLocation: sourceLocation)
    #expect(b.isCovered(by: a.merging(b)), "merge lost information", sourceLocation: sourceLocation)
    #expect(State().merging(a) == a, "bottom is not neutral", sourceLocation: sourceLocation)
    // Every replica's state is the join of deltas, so joining all deltas,
    // backwards and each twice, gives the join of all replicas.
    let full = a.merging(b).merging(c)
    var fromDeltas = State()
    for delta in outcome.deltas.reversed() {
        fromDeltas.merge(delta)
        fromDeltas.merge(delta)
    }
    #expect(fromDeltas == full, "deltas do not add up to the full states", sourceLocation: sourceLocation)
}

/// Checks that the binary encoding and Codable (JSON) round-trip.
func checkEncodings<State: StateCRDT & BinaryCodable & Codable>(
    _ outcome: Outcome<State>, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for state in outcome.replicas + outcome.deltas {
        let bytes = state.binaryEncoded()
        #expect(try State(binaryEncoded: bytes) == state, sourceLocation: sourceLocation)
        // Any strict prefix is rejected with a typed error.
        if !bytes.isEmpty {
            let cut = bytes.count / 2
            #expect(throws: BinaryDecodingError.self, sourceLocation: sourceLocation) {
                try State(binaryEncoded: Array(bytes.prefix(cut)))
            }
        }
        let json = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(State.self, from: json) == state, sourceLocation: sourceLocation)
    }
}
