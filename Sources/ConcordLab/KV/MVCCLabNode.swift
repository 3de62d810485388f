/// A node of the MVCC lab, as the simulator sees it: a server or a client,
/// driven by the Raft labs' shared node.
typealias MVCCLabNode = RaftLabNode<MVCCKVServer, MVCCKVClient>

extension MVCCKVServer: RaftLabServer {}
extension MVCCKVClient: RaftLabClient {}
