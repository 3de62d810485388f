import ConcordServerCore

extension ConcordNode {
    /// Resolves this member's identity from its data directory: a member
    /// that joins a running cluster derives its id from its own peer URL in
    /// `--initial-cluster` and records it (with the cluster id, once known)
    /// in `.member-identity`; a founding member keeps its name-derived id.
    /// - Throws: `ServerConfigurationError` when the identity file is
    ///   damaged or cannot be written, or the data directory belongs to a
    ///   member that was removed from the cluster.
    static func resolveIdentity(_ configuration: inout NodeConfiguration, hasData: Bool) throws {
        if MemberIdentity.isRemoved(directory: configuration.dataDirectory) {
            throw ServerConfigurationError.invalid(
                "\(ServerError.removedFromCluster.message) (\(configuration.dataDirectory) belongs to a removed member)")
        }
        if let identity = try MemberIdentity.load(from: configuration.dataDirectory) {
            configuration.joinedMemberID = identity.memberID
            configuration.adoptedClusterID.store(identity.clusterID)
            return
        }
        guard !hasData, configuration.clusterState == .existing, let own = configuration.ownMember else { return }
        let memberID = ClusterMember.id(forPeerURLs: [own.peerURL])
        try MemberIdentity(memberID: memberID, clusterID: 0).save(in: configuration.dataDirectory)
        configuration.joinedMemberID = memberID
    }
}
