@testable import ConcordServer
import Testing

@Suite struct ClusterMemberTests {
    @Test func initialClusterParsesAsEtcdWritesIt() throws {
        let members = try ClusterMember.parseCluster("a=http://127.0.0.1:2380,b=http://localhost:2480")
        #expect(members == [ClusterMember(name: "a", peerHost: "127.0.0.1", peerPort: 2380), ClusterMember(name: "b", peerHost: "localhost", peerPort: 2480)])
        #expect(members[0].id != members[1].id)
        #expect(ClusterMember.clusterID(of: members) == ClusterMember.clusterID(of: members.reversed()))
    }

    @Test(arguments: ["", "a", "a=", "a=http://h", "a=ftp://h:1", "a=http://h:99999", "a=http://h:1,a=http://h:2"])
    func badInitialClusterIsRefused(text: String) {
        #expect(throws: ServerConfigurationError.self) { try ClusterMember.parseCluster(text) }
    }
}
