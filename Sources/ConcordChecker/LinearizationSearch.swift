import ConcordFoundation

/// The Wing–Gong–Lowe search for a linearization of one partition.
///
/// Operations sit in a doubly linked list of call and return entries in
/// real-time order. The search walks the list from its head: at a call it
/// tries to linearize that operation next (the model must accept it and the
/// resulting (linearized set, state) must be new to the cache), lifting its
/// entries out of the list and restarting from the head; at a return it has
/// hit an operation that had to be linearized already, so it takes back the
/// last operation placed and tries the next call after it. Indeterminate
/// operations have no return entry: they may be placed after their call or
/// never. The search succeeds when every completed operation is placed.
///
/// Read-only operations (those the model says never change any state,
/// ``SequentialModel/isReadOnly(input:output:)``) get special treatment
/// beyond Lowe's: at each new configuration the search first looks for a
/// callable read-only operation the model accepts and places it before
/// anything else, and if everything after it fails (or the configuration it
/// leads to was already explored), the configuration fails as a whole.
/// Proof sketch: in any successful continuation, moving that read to the
/// front keeps every step legal (the model accepts it now and it changes
/// nothing later) and breaks no real-time constraint (every operation that
/// completed before its invocation is already placed, since only operations
/// invoked before the first return entry left in the list are callable). A
/// write that merely happens to change nothing in the current state does
/// not qualify.
///
/// References: J. M. Wing and C. Gong, "Testing and verifying concurrent
/// objects" (1993); G. Lowe, "Testing for linearizability" (2017), whose
/// cache of configurations makes the search practical.
struct LinearizationSearch<Model: SequentialModel> {
    /// How one partition's search ended.
    enum Outcome {
        /// Every completed operation was placed, in this order (indices into
        /// the operations).
        case linearizable([Int])
        /// No order exists; `deepest` is the longest prefix found and
        /// `state` the model state after it.
        case illegal(deepest: [Int], state: Model.State)
        /// The budget ran out.
        case gaveUp(reason: String)
    }

    let operations: [ModelOperation<Model>]
    let model: Model

    /// Runs the search.
    /// - Returns: the outcome and the number of steps taken.
    func run(budget: CheckBudget) -> (outcome: Outcome, steps: Int) {
        var list = EntryList(operations)
        let operationCount = operations.count
        var remaining = operations.reduce(0) { $0 + ($1.completionPosition == nil ? 0 : 1) }
        if remaining == 0 { return (.linearizable([]), 0) }

        let zobrist = Self.fingerprintKeys(count: operationCount)
        var bits = [UInt64](repeating: 0, count: (operationCount + 63) / 64)
        var fingerprint: UInt64 = 0
        var cache = LinearizationCache<Model.State>(wordCount: bits.count)
        var state = model.initialState
        _ = cache.insert(hash: Self.hash(fingerprint, state), bits: bits, state: state)

        var placed: [Int] = []
        var statesBefore: [Model.State] = []
        var changedState: [Bool] = []  // per placed operation: not read-only
        changedState.reserveCapacity(operationCount)
        placed.reserveCapacity(operationCount)
        statesBefore.reserveCapacity(operationCount)
        var deepest: [Int] = []
        var deepestState = state

        let readOnly = operations.map { model.isReadOnly(input: $0.input, output: $0.output) }
        var fresh = true  // at a configuration not yet scanned for reads
        var forced = false  // trying a read-only operation found by that scan
        var steps = 0
        let stepsMax = budget.searchStepsMax
        let deadline = budget.deadline
        let bytesMax = budget.cacheBytesMax
        var nextPoll = CheckBudget.deadlinePollSteps
        var entry = list.first
        while true {
            steps += 1
            if steps > stepsMax {
                return (.gaveUp(reason: "the budget of \(stepsMax) search steps ran out"), steps - 1)
            }
            if steps >= nextPoll, let deadline {
                nextPoll = steps + CheckBudget.deadlinePollSteps
                if ContinuousClock.now >= deadline {
                    return (.gaveUp(reason: "the deadline passed after \(steps) search steps"), steps)
                }
            }
            if fresh {
                fresh = false
                var probe = list.first
                while probe != EntryList.end, list.isCall[probe] {
                    let index = list.operation[probe]
                    if readOnly[index], model.step(state, operations[index].input, operations[index].output) != nil {
                        entry = probe
                        forced = true
                        break
                    }
                    probe = list.next[probe]
                    steps += 1
                }
            }
            if entry != EntryList.end, list.isCall[entry] {
                let index = list.operation[entry]
                let wasForced = forced
                forced = false
                if let next = model.step(state, operations[index].input, operations[index].output) {
                    let word = index >> 6
                    let bit = UInt64(1) << UInt64(index & 63)
                    bits[word] |= bit
                    fingerprint ^= zobrist[index]
                    if cache.insert(hash: Self.hash(fingerprint, next), bits: bits, state: next) {
                        placed.append(index)
                        changedState.append(!readOnly[index])
                        statesBefore.append(state)
                        state = next
                        list.lift(index)
                        if operations[index].completionPosition != nil {
                            remaining -= 1
                            if remaining == 0 { return (.linearizable(placed), steps) }
                        }
                        if cache.bytes > bytesMax {
                            return (.gaveUp(reason: "the configuration cache outgrew its limit of \(bytesMax) bytes"), steps)
                        }
                        entry = list.first
                        fresh = true
                        continue
                    }
                    bits[word] &= ~bit
                    fingerprint ^= zobrist[index]
                    if wasForced {
                        // The read leads where the search has failed before,
                        // so this configuration fails too.
                        entry = EntryList.end
                        continue
                    }
                }
                entry = list.next[entry]
            } else {
                // A return entry: its operation should have been placed by
                // now. Take back the last placement and try what follows it.
                // The longest prefix is saved only when the search first
                // backs out of it, so going deeper copies nothing.
                if placed.count > deepest.count {
                    deepest = placed
                    deepestState = state
                }
                guard let index = placed.popLast() else {
                    return (.illegal(deepest: deepest, state: deepestState), steps)
                }
                state = statesBefore.removeLast()
                bits[index >> 6] &= ~(UInt64(1) << UInt64(index & 63))
                fingerprint ^= zobrist[index]
                if operations[index].completionPosition != nil { remaining += 1 }
                list.unlift(index)
                // After a read-only operation no other choice here can
                // succeed: keep backing up.
                entry = changedState.removeLast() ? list.next[list.callEntry[index]] : EntryList.end
            }
        }
    }

    private static func hash(_ fingerprint: UInt64, _ state: Model.State) -> Int {
        var hasher = Hasher()
        hasher.combine(fingerprint)
        hasher.combine(state)
        return hasher.finalize()
    }

    /// One random 64-bit key per operation (SplitMix64 from a fixed seed);
    /// the XOR of the keys of the placed operations fingerprints the set.
    private static func fingerprintKeys(count: Int) -> [UInt64] {
        var seed: UInt64 = 0x436F_6E63_6F72_6421
        return (0..<count).map { _ in
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

/// The call and return entries of a search, as a circular doubly linked
/// list over arrays with a sentinel at index 0 (dancing links: an entry
/// taken out keeps its own links, so it can be put back in LIFO order).
struct EntryList {
    /// The sentinel; also what `next` of the last entry is.
    static let end = 0

    var next: [Int]
    var previous: [Int]
    /// Per entry: the index of its operation.
    let operation: [Int]
    /// Per entry: whether it is a call (otherwise a return).
    let isCall: [Bool]
    /// Per operation: its call entry.
    let callEntry: [Int]
    /// Per operation: its return entry, or `end` if it has none.
    let returnEntry: [Int]

    init<Model>(_ operations: [ModelOperation<Model>]) {
        var points: [(position: Int, isCall: Bool, operation: Int)] = []
        points.reserveCapacity(operations.count * 2)
        for (index, operation) in operations.enumerated() {
            points.append((operation.invokePosition, true, index))
            if let completion = operation.completionPosition {
                points.append((completion, false, index))
            }
        }
        // At equal positions calls come first: the operations then overlap,
        // which is the permissive reading.
        points.sort { ($0.position, $0.isCall ? 0 : 1, $0.operation) < ($1.position, $1.isCall ? 0 : 1, $1.operation) }
        let count = points.count
        var operation = [Int](repeating: -1, count: count + 1)
        var isCall = [Bool](repeating: false, count: count + 1)
        var callEntry = [Int](repeating: Self.end, count: operations.count)
        var returnEntry = [Int](repeating: Self.end, count: operations.count)
        for (offset, point) in points.enumerated() {
            let entry = offset + 1
            operation[entry] = point.operation
            isCall[entry] = point.isCall
            if point.isCall { callEntry[point.operation] = entry } else { returnEntry[point.operation] = entry }
        }
        self.next = (0...count).map { $0 == count ? Self.end : $0 + 1 }
        self.previous = (0...count).map { $0 == 0 ? count : $0 - 1 }
        self.operation = operation
        self.isCall = isCall
        self.callEntry = callEntry
        self.returnEntry = returnEntry
    }

    /// The first entry, or `end` if the list is empty.
    var first: Int { next[Self.end] }

    /// Takes an operation's entries out of the list.
    mutating func lift(_ index: Int) {
        remove(callEntry[index])
        let back = returnEntry[index]
        if back != Self.end { remove(back) }
    }

    /// Puts back the entries of the operation lifted last.
    mutating func unlift(_ index: Int) {
        let back = returnEntry[index]
        if back != Self.end { restore(back) }
        restore(callEntry[index])
    }

    private mutating func remove(_ entry: Int) {
        next[previous[entry]] = next[entry]
        previous[next[entry]] = previous[entry]
    }

    private mutating func restore(_ entry: Int) {
        next[previous[entry]] = entry
        previous[next[entry]] = entry
    }
}
