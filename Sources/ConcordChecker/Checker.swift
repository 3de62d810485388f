/// The `Checker` namespace of Concord. See docs/architecture.md.
public enum Checker {}
