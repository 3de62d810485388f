/// Makes a simulation trace readable for a person: drops the protocol tick
/// timers, which fire every few milliseconds on every node and say nothing.
/// (The trace hash is computed over the full trace, before any filtering.)
enum TimelineFilter {
    static func readable<Lines: Sequence<String>>(_ lines: Lines) -> [String] {
        lines.filter { !$0.hasSuffix(" timer1") }
    }
}
