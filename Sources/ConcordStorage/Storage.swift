/// The `Storage` namespace of Concord. See docs/architecture.md.
public enum Storage {}
