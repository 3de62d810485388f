/// The `Storage` namespace of Concord: a segmented, checksummed write-ahead
/// log, atomic snapshot files and the Raft hard state, all on real files.
///
/// See docs/storage.md for the file formats byte by byte, the durability
/// contract and the recovery rules.
public enum Storage {}
