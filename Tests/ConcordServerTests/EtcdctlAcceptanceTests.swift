import ConcordEtcdAPI
import ConcordServerCore
import Foundation
import Testing

/// etcdctl 3.4 (Debian's etcd-client) against a three-process Concord
/// cluster: the outputs are etcd's.
extension ProcessClusterTests {
@Suite struct EtcdctlAcceptanceTests {
    @Test(arguments: ConsensusEngineKind.allCases)
    func etcdctlPutGetDeleteTxnAndCompactionBehaveAsEtcd(engine: ConsensusEngineKind) async throws {
        try await ProcessCluster.withRunningCluster(size: 3, consensus: engine) { try await exercise($0) }
    }

    private func ok(_ cluster: ProcessCluster, _ arguments: [String], input: String? = nil, endpoints: String? = nil) async throws -> String {
        try await cluster.etcdctlOK(arguments, input: input, endpoints: endpoints)
    }

    private func exercise(_ cluster: ProcessCluster) async throws {
        // put and get
        #expect(try await ok(cluster, ["put", "foo", "bar"]) == "OK\n")
        #expect(try await ok(cluster, ["get", "foo"]) == "foo\nbar\n")
        // Every node serves, followers included (writes forwarded, reads by ReadIndex).
        for index in 0..<3 {
            #expect(try await ok(cluster, ["put", "foo\(index + 1)", "v\(index + 1)"], endpoints: cluster.endpoint(index)) == "OK\n")
        }
        for index in 0..<3 {
            #expect(try await ok(cluster, ["get", "foo3"], endpoints: cluster.endpoint(index)) == "foo3\nv3\n")
        }
        #expect(try await ok(cluster, ["put", "zoo", "z"]) == "OK\n")

        // prefix, from-key, range, keys-only, count-only, limit, sort
        #expect(try await ok(cluster, ["get", "--prefix", "foo"]) == "foo\nbar\nfoo1\nv1\nfoo2\nv2\nfoo3\nv3\n")
        #expect(try await ok(cluster, ["get", "--from-key", "foo2"]) == "foo2\nv2\nfoo3\nv3\nzoo\nz\n")
        #expect(try await ok(cluster, ["get", "foo1", "foo3"]) == "foo1\nv1\nfoo2\nv2\n")
        #expect(try await ok(cluster, ["get", "--prefix", "--keys-only", "foo"]) == "foo\n\nfoo1\n\nfoo2\n\nfoo3\n\n")
        // etcdctl 3.4 has no --count-only flag: the count and "more" of a
        // limited read are checked in its JSON, count_only over gRPC.
        let limited = try await ok(cluster, ["get", "--prefix", "--limit=2", "-w", "json", "foo"])
        let limitedJSON = try JSONSerialization.jsonObject(with: Data(limited.utf8)) as? [String: Any]
        #expect(limitedJSON?["count"] as? Int == 4)
        #expect(limitedJSON?["more"] as? Bool == true)
        #expect((limitedJSON?["kvs"] as? [Any])?.count == 2)
        let client = try EtcdClient(port: cluster.nodes[1].clientPort)
        defer { client.close() }
        var countOnly = Etcdserverpb_RangeRequest()
        countOnly.key = Data("foo".utf8)
        countOnly.rangeEnd = Data("fop".utf8)
        countOnly.countOnly = true
        let counted = try await client.kv.range(countOnly, options: EtcdClient.options(seconds: 5))
        #expect(counted.count == 4)
        #expect(counted.kvs.isEmpty)
        #expect(try await ok(cluster, ["get", "--consistency=s", "--print-value-only", "foo2"]) == "v2\n")
        #expect(try await ok(cluster, ["get", "--prefix", "--limit=2", "foo"]) == "foo\nbar\nfoo1\nv1\n")
        #expect(
            try await ok(cluster, ["get", "--prefix", "--sort-by=KEY", "--order=DESCEND", "foo"])
                == "foo3\nv3\nfoo2\nv2\nfoo1\nv1\nfoo\nbar\n")
        #expect(
            try await ok(cluster, ["get", "--prefix", "--sort-by=VALUE", "--order=ASCEND", "--limit=2", "foo"])
                == "foo\nbar\nfoo1\nv1\n")

        // -w json: header fields and base64 keys and values
        let json = try await ok(cluster, ["get", "foo", "-w", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let header = try #require(object["header"] as? [String: Any])
        #expect((header["cluster_id"] as? NSNumber)?.uint64Value ?? 0 != 0)
        #expect((header["member_id"] as? NSNumber)?.uint64Value ?? 0 != 0)
        #expect((header["raft_term"] as? NSNumber)?.uint64Value ?? 0 >= 2)
        let revision = try #require((header["revision"] as? NSNumber)?.int64Value)
        #expect(revision == 6)  // 1 initial + 5 puts
        let kvs = try #require(object["kvs"] as? [[String: Any]])
        #expect(kvs.count == 1)
        #expect(kvs.first?["key"] as? String == Data("foo".utf8).base64EncodedString())
        #expect(kvs.first?["value"] as? String == Data("bar".utf8).base64EncodedString())
        #expect((kvs.first?["create_revision"] as? NSNumber)?.int64Value == 2)
        #expect((kvs.first?["version"] as? NSNumber)?.int64Value == 1)

        // --rev reads the past
        #expect(try await ok(cluster, ["put", "foo", "baz"]) == "OK\n")  // revision 7
        #expect(try await ok(cluster, ["get", "foo", "--rev=6"]) == "foo\nbar\n")
        #expect(try await ok(cluster, ["get", "foo"]) == "foo\nbaz\n")

        // del: prefix and --prev-kv
        #expect(try await ok(cluster, ["del", "--prev-kv", "zoo"]) == "1\nzoo\nz\n")  // revision 8
        #expect(try await ok(cluster, ["del", "--prefix", "foo"]) == "4\n")  // revision 9
        #expect(try await ok(cluster, ["get", "--prefix", "foo"]) == "")
        #expect(try await ok(cluster, ["del", "missing"]) == "0\n")

        // txn, fed on stdin, with compares
        #expect(try await ok(cluster, ["put", "lock", "free"]) == "OK\n")  // revision 10
        let txn = """
            value("lock") = "free"
            version("lock") > "0"

            put lock taken
            put owner me

            get lock


            """
        #expect(try await ok(cluster, ["txn"], input: txn) == "SUCCESS\n\nOK\n\nOK\n")  // revision 11
        #expect(try await ok(cluster, ["txn"], input: txn) == "FAILURE\n\nlock\ntaken\n")
        let interactive = """
            mod("owner") < "100"

            get owner

            put owner you


            """
        #expect(try await ok(cluster, ["txn", "-i"], input: interactive).hasSuffix("SUCCESS\n\nowner\nme\n"))
        // As etcd 3.4 answers: the responses nested in a txn's answer carry
        // only the revision in their headers; the outer header has all four.
        let nested = try await ok(cluster, ["txn", "-w", "json"], input: "mod(\"owner\") > \"0\"\n\nget owner\nput owner me\ndel none\n\n\n")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(nested.utf8)) as? [String: Any])
        let outer = try #require(answer["header"] as? [String: Any])
        #expect(Set(outer.keys) == ["cluster_id", "member_id", "revision", "raft_term"])
        let responses = try #require(answer["responses"] as? [[String: Any]])
        var revisions: [Int] = []
        for response in responses {
            let operation = try #require((response["Response"] as? [String: Any])?.values.first as? [String: Any])
            let header = try #require(operation["header"] as? [String: Any])
            #expect(Set(header.keys) == ["revision"], "\(header)")
            revisions.append(try #require(header["revision"] as? Int))
        }
        // The get ran before the txn's first change, the put and delete after it.
        let txnRevision = try #require(outer["revision"] as? Int)
        #expect(revisions == [txnRevision - 1, txnRevision, txnRevision])

        // compaction, then a read of a compacted revision
        #expect(try await ok(cluster, ["compaction", "10"]) == "compacted revision 10\n")
        let compacted = try await cluster.etcdctl(["get", "lock", "--rev=9"])
        #expect(compacted.status != 0)
        #expect(compacted.error.contains("etcdserver: mvcc: required revision has been compacted"))
        #expect(try await ok(cluster, ["get", "lock", "--rev=11"]) == "lock\ntaken\n")
        let future = try await cluster.etcdctl(["get", "lock", "--rev=1000"])
        #expect(future.error.contains("etcdserver: mvcc: required revision is a future revision"))

        // metrics and health
        let (status, health) = try await cluster.http(0, "/health")
        #expect(status == 200)
        #expect(health == #"{"health":"true"}"#)
        let committed = try await cluster.metric(0, "concord_server_term")
        #expect((committed ?? 0) >= 2)
    }
}
}
