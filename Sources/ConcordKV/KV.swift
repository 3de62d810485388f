/// The `KV` namespace of Concord: etcd's MVCC data model as a pure state machine.
public enum KV {}
