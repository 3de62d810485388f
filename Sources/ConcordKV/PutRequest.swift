/// etcd's `PutRequest`: set a key's value (and lease), creating the key if
/// it is absent.
public struct PutRequest: Sendable, Hashable {
    /// The key (never empty).
    public var key: [UInt8]
    /// The new value (must be empty when `ignoreValue` is set).
    public var value: [UInt8]
    /// The lease to attach the key to, or 0 for none (must be 0 when
    /// `ignoreLease` is set).
    public var lease: Int64
    /// Return the pair as it was before the put.
    public var prevKV: Bool
    /// Keep the key's current value (the key must exist).
    public var ignoreValue: Bool
    /// Keep the key's current lease (the key must exist).
    public var ignoreLease: Bool

    /// Creates a put request.
    public init(
        key: [UInt8], value: [UInt8] = [], lease: Int64 = 0, prevKV: Bool = false,
        ignoreValue: Bool = false, ignoreLease: Bool = false
    ) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }
}

/// etcd's `PutResponse`.
public struct PutResponse: Sendable, Hashable {
    /// The store's revision when the request was served.
    public var header: ResponseHeader
    /// The pair before the put, when asked for and the key existed.
    public var prevKV: KeyValue?

    /// Creates a put response.
    public init(header: ResponseHeader, prevKV: KeyValue? = nil) {
        self.header = header
        self.prevKV = prevKV
    }
}
