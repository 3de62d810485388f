/// When this member last heard from each peer, and since when without a
/// gap: etcd's notion of a peer "active since" a time, which its strict
/// reconfiguration check uses.
///
/// A peer counts as connected since `since` while frames keep arriving at
/// most `gapMilliseconds` apart; a longer silence starts a new period.
struct PeerActivity: Sendable {
    struct Period: Sendable {
        var since: Int64
        var lastHeard: Int64
    }

    private(set) var periods: [UInt64: Period] = [:]
    /// The longest silence that does not break a period.
    let gapMilliseconds: Int64

    init(gapMilliseconds: Int64) {
        self.gapMilliseconds = gapMilliseconds
    }

    /// Records a frame from `peer` at `now`.
    mutating func heard(from peer: UInt64, now: Int64) {
        if var period = periods[peer], now - period.lastHeard <= gapMilliseconds {
            period.lastHeard = now
            periods[peer] = period
        } else {
            periods[peer] = Period(since: now, lastHeard: now)
        }
    }

    /// The start of `peer`'s current period, or nil when it is silent now.
    func activeSince(_ peer: UInt64, now: Int64) -> Int64? {
        guard let period = periods[peer], now - period.lastHeard <= gapMilliseconds else { return nil }
        return period.since
    }
}
