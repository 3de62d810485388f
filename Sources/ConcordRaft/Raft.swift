/// The `Raft` namespace of Concord. See docs/architecture.md.
public enum Raft {}
