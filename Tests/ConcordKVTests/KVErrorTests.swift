import Testing
import ConcordKV

@Suite("Errors")
struct KVErrorTests {
    /// etcd 3.4's messages and gRPC codes (rpctypes), written out here so a
    /// change to either side shows.
    static let etcd: [KVError: (String, Int)] = [
        .emptyKey: ("etcdserver: key is not provided", 3),
        .keyNotFound: ("etcdserver: key not found", 3),
        .valueProvided: ("etcdserver: value is provided", 3),
        .leaseProvided: ("etcdserver: lease is provided", 3),
        .tooManyOperations: ("etcdserver: too many operations in txn request", 3),
        .duplicateKey: ("etcdserver: duplicate key given in txn request", 3),
        .compacted: ("etcdserver: mvcc: required revision has been compacted", 11),
        .futureRevision: ("etcdserver: mvcc: required revision is a future revision", 11),
        .requestTooLarge: ("etcdserver: request is too large", 3),
        .leaseNotFound: ("etcdserver: requested lease not found", 5),
    ]

    @Test("every error carries etcd's message and gRPC code", arguments: KVError.allCases)
    func messagesAndCodes(_ error: KVError) throws {
        let (message, code) = try #require(Self.etcd[error])
        #expect(error.message == message)
        #expect(error.description == message)
        #expect(error.grpcStatusCode == code)
    }

    @Test("validate checks the request before its size, as etcd's server does")
    func validationOrder() {
        let store = MVCCStore(limits: KVLimits(requestBytesMax: 10))
        let large = [UInt8](repeating: 1, count: 100)
        #expect(kvError { try store.validate(.put(PutRequest(key: [], value: large))) } == .emptyKey)
        #expect(kvError { try store.validate(.put(PutRequest(key: [1], value: large, ignoreValue: true))) } == .valueProvided)
        #expect(kvError { try store.validate(.put(PutRequest(key: [1], value: large))) } == .requestTooLarge)
        #expect(kvError { try store.validate(.compact(CompactionRequest(revision: 5))) } == nil)
    }
}
