/// The set of (linearized operations, model state) configurations a
/// linearizability search has already explored (Lowe's cache).
///
/// An open-addressing table over flat storage: looking a configuration up
/// allocates nothing; inserting one appends its bitset words and state.
struct LinearizationCache<State: Hashable> {
    private let wordCount: Int
    /// Entry number plus one per slot; 0 marks an empty slot.
    private var slots: [Int32]
    private var hashes: [Int] = []
    private var words: [UInt64] = []
    private var states: [State] = []

    /// Slots in a fresh table; a power of two.
    private static var initialSlotCount: Int { 1 << 10 }

    init(wordCount: Int) {
        self.wordCount = wordCount
        self.slots = Array(repeating: 0, count: Self.initialSlotCount)
    }

    /// The number of configurations stored.
    var count: Int { states.count }

    /// The memory the table holds, approximately, in bytes (states' own heap
    /// storage is not counted).
    var bytes: Int {
        slots.count * MemoryLayout<Int32>.stride
            + states.count * (MemoryLayout<Int>.stride + wordCount * MemoryLayout<UInt64>.stride + MemoryLayout<State>.stride)
    }

    /// Adds the configuration unless present.
    /// - Returns: `true` if it was new.
    mutating func insert(hash: Int, bits: [UInt64], state: State) -> Bool {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 {
            let entry = Int(slots[slot]) - 1
            if hashes[entry] == hash, states[entry] == state, sameBits(entry, bits) {
                return false
            }
            slot = (slot + 1) & mask
        }
        precondition(states.count < Int(Int32.max), "linearization cache is full")
        hashes.append(hash)
        words.append(contentsOf: bits)
        states.append(state)
        slots[slot] = Int32(states.count)
        if states.count * 2 > slots.count { grow() }
        return true
    }

    private func sameBits(_ entry: Int, _ bits: [UInt64]) -> Bool {
        let base = entry * wordCount
        for word in 0..<wordCount where words[base + word] != bits[word] {
            return false
        }
        return true
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for entry in 0..<states.count {
            var slot = hashes[entry] & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(entry + 1)
        }
        slots = bigger
    }
}
