/// The `Outbox` namespace of Concord. See docs/architecture.md.
public enum Outbox {}
