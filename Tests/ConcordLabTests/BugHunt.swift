import Testing

/// The shape of every "the sweep catches this bug" test: run seeds with
/// the bug until one fails, within a stated bound, and check that the same
/// seed passes without the bug (so the bug, not the run, failed it).
enum BugHunt {
    /// - Parameters:
    ///   - name: the bug, for messages.
    ///   - bound: the seeds `0..<bound` the bug must be caught within.
    ///   - withBug: runs one seed with the bug; nil when it passed, or the verdict.
    ///   - withoutBug: runs one seed without the bug; nil when it passed, or the verdict.
    static func expectCaught(
        _ name: String, within bound: UInt64, withBug: (UInt64) -> String?, withoutBug: (UInt64) -> String?
    ) {
        guard let seed = (0..<bound).first(where: { withBug($0) != nil }) else {
            Issue.record("\(name) was not caught within \(bound) seeds")
            return
        }
        let correct = withoutBug(seed)
        #expect(correct == nil, "seed \(seed) also fails without \(name): \(correct ?? "")")
    }
}
