/// The `Simulation` namespace of Concord. See docs/architecture.md.
public enum Simulation {}
