/// The `Clocks` namespace of Concord: logical, vector, hybrid and
/// interval clocks, and the synchronization arithmetic behind them.
///
/// Every type here is a pure value. Nothing reads the wall clock: physical
/// time arrives through a ``PhysicalClock`` that the caller injects, so the
/// same code runs under the simulator's skewed virtual clocks and in a real
/// process. All times and durations are integer nanoseconds.
public enum Clocks {}
