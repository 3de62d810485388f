/// The `Clocks` namespace of Concord. See docs/architecture.md.
public enum Clocks {}
