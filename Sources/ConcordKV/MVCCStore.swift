/// etcd's multi-version key-value store as a pure state machine: the
/// server applies `KVCommand`s from the Raft log with `apply(_:)` and serves
/// reads with `range(_:)`.
///
/// Every write transaction that changes something creates one new main
/// revision; its changes get sub-revisions within it. Reads may look at any
/// revision from `compactedRevision` to `currentRevision`. A fresh store is
/// at revision 1 (as etcd), so the first write creates revision 2.
///
/// `apply` validates the whole command before changing anything: a command
/// that throws leaves the store exactly as it was.
public struct MVCCStore: Sendable {
    /// The limits enforced; the same on every replica.
    public let limits: KVLimits
    /// The newest revision.
    public internal(set) var currentRevision: Int64
    /// Reads below this revision fail with `KVError.compacted`; 0 before the
    /// first compaction.
    public internal(set) var compactedRevision: Int64
    /// The leases keys may be attached to. No command grants one yet, so a
    /// put with a lease fails with `KVError.leaseNotFound`, as in an etcd
    /// with no leases granted.
    public internal(set) var leases: Set<Int64>
    var index: KeyIndex

    /// The revision of a fresh store.
    public static let initialRevision: Int64 = 1

    /// Creates an empty store.
    public init(limits: KVLimits = KVLimits()) {
        self.limits = limits
        currentRevision = Self.initialRevision
        compactedRevision = 0
        leases = []
        index = KeyIndex()
    }

    init(limits: KVLimits, currentRevision: Int64, compactedRevision: Int64, leases: Set<Int64>, index: KeyIndex) {
        self.limits = limits
        self.currentRevision = currentRevision
        self.compactedRevision = compactedRevision
        self.leases = leases
        self.index = index
    }

    /// How many keys the index holds (live or with history kept).
    public var indexedKeyCount: Int { index.count }

    /// Applies a command from the log.
    /// - Returns: the response the command's client gets.
    /// - Throws: `KVError` when etcd would refuse the command; the store is
    ///   then unchanged. The size limit is not checked here (see
    ///   `validate(_:)`).
    public mutating func apply(_ command: KVCommand) throws(KVError) -> KVResult {
        switch command {
        case .put(let request):
            try RequestValidation.check(request)
            try checkApplicable(request)
            var write = WriteBatch(beginRevision: currentRevision)
            let response = put(request, &write)
            finish(write)
            return .put(response)
        case .deleteRange(let request):
            try RequestValidation.check(request)
            var write = WriteBatch(beginRevision: currentRevision)
            let response = deleteRange(request, &write)
            finish(write)
            return .deleteRange(response)
        case .txn(let request):
            return .txn(try txn(request))
        case .compact(let request):
            return .compact(try compact(request))
        }
    }

    /// Checks what the server checks before proposing a command: etcd's
    /// request checks (empty keys, ignore flags, transaction size and
    /// duplicate keys) and the size of the encoded command.
    /// - Throws: the `KVError` etcd answers with.
    public func validate(_ command: KVCommand) throws(KVError) {
        try RequestValidation.check(command, limits: limits)
        guard command.encoded().count <= limits.requestBytesMax else { throw .requestTooLarge }
    }

    /// Reads keys at the current or a past revision.
    /// - Throws: `.emptyKey`, `.futureRevision` or `.compacted`.
    public func range(_ request: RangeRequest) throws(KVError) -> RangeResponse {
        try RequestValidation.check(request)
        return try read(request, currentRevision: currentRevision)
    }

    /// Serves a read-only transaction (`request.isReadOnly`) without the
    /// log, as etcd does; it creates no revision.
    /// - Precondition: `request.isReadOnly`.
    public func readOnlyTxn(_ request: TxnRequest) throws(KVError) -> TxnResponse {
        precondition(request.isReadOnly, "readOnlyTxn needs a transaction without puts or deletes")
        try RequestValidation.check(request, limits: limits)
        let path = TxnPath(request, store: self)
        try checkRanges(request, path: path, revision: currentRevision)
        return readTxn(request, path: path, revision: currentRevision)
    }

    private mutating func compact(_ request: CompactionRequest) throws(KVError) -> CompactionResponse {
        guard request.revision > compactedRevision else { throw .compacted }
        guard request.revision <= currentRevision else { throw .futureRevision }
        compactedRevision = request.revision
        index.compact(at: request.revision)
        return CompactionResponse(header: ResponseHeader(revision: currentRevision))
    }

    /// The state-dependent checks of a put: its lease exists, and with an
    /// ignore flag its key exists.
    func checkApplicable(_ request: PutRequest) throws(KVError) {
        if request.lease != 0 && !leases.contains(request.lease) { throw .leaseNotFound }
        if request.ignoreValue || request.ignoreLease {
            guard latest(request.key) != nil else { throw .keyNotFound }
        }
    }

    /// The key as it is now (including the changes of the write batch in
    /// progress), or nil.
    func latest(_ key: [UInt8]) -> KeyValue? {
        let positions = index.positions(key: key, rangeEnd: [])
        guard let position = positions.first else { return nil }
        return index[position].latest
    }
}
