/// A set that remembers only its `capacity` most recent insertions: enough
/// to recognize a duplicate message, bounded however long the member runs.
struct RecentSet<Element: Hashable & Sendable>: Sendable {
    let capacity: Int
    private var members: Set<Element> = []
    private var order: [Element] = []
    private var oldest = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a recent set holds at least one element")
        self.capacity = capacity
    }

    /// Inserts `element`; false when it was already remembered.
    mutating func insert(_ element: Element) -> Bool {
        guard members.insert(element).inserted else { return false }
        if order.count < capacity {
            order.append(element)
        } else {
            members.remove(order[oldest])
            order[oldest] = element
            oldest = (oldest + 1) % capacity
        }
        return true
    }
}
