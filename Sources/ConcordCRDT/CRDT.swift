/// The `CRDT` namespace of Concord. See docs/architecture.md.
public enum CRDT {}
