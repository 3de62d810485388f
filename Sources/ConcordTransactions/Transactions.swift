/// The `Transactions` namespace of Concord. See docs/architecture.md.
public enum Transactions {}
