import ConcordFoundation

/// What a Concord Raft snapshot's data holds: the member registry, the
/// duplicate filter of applied proposals, the auth store, the ZooKeeper
/// state machine, and the key-value state machine.
///
/// Layout: the magic `CNSM` (0x43 0x4E 0x53 0x4D), a version byte (4), the
/// encoded `MemberRegistry` as a 4-byte length and its bytes, the applied
/// proposals (`AppliedProposals.write(to:)`), the auth store
/// (`AuthStore.write(to:)`) as a 4-byte length and its bytes, the
/// ZooKeeper state machine (`ZooKeeper.StateMachine.snapshot()`) as a
/// 4-byte length and its bytes (none for an empty one), then the encoded
/// `KVStateMachine` to the end (empty for an empty store).
/// Version 3 had no ZooKeeper state, version 2 no auth store either and
/// version 1 no applied proposals either; all are still read, with an
/// empty ZooKeeper tree, an empty auth store (auth disabled) and an empty
/// filter.
///
/// Data directories written before the registry existed hold the bare
/// state machine (which starts with its own version byte, 1) or nothing;
/// `init(decoding:)` reads those with `registry == nil`, and the member
/// rebuilds the registry from `--initial-cluster`.
public struct ServerSnapshot: Sendable, Hashable {
    static let magic: [UInt8] = [0x43, 0x4E, 0x53, 0x4D]
    static let version: UInt8 = 4

    /// The member registry; nil for data written before it existed.
    public var registry: MemberRegistry?
    /// The replicated duplicate filter.
    var appliedProposals: AppliedProposals
    /// The users, roles and permissions, and whether auth is enabled.
    public var auth: AuthStore
    /// The encoded `ZooKeeper.StateMachine`; empty for an empty one.
    public var zooKeeper: [UInt8]
    /// The encoded `KVStateMachine`; empty for an empty store.
    public var stateMachine: [UInt8]

    /// A snapshot with an empty duplicate filter.
    public init(
        registry: MemberRegistry?, auth: AuthStore = AuthStore(), zooKeeper: [UInt8] = [], stateMachine: [UInt8],
        appliedProposalsRemembered: Int = 131_072
    ) {
        self.init(
            registry: registry, appliedProposals: AppliedProposals(capacity: appliedProposalsRemembered), auth: auth,
            zooKeeper: zooKeeper, stateMachine: stateMachine)
    }

    init(
        registry: MemberRegistry?, appliedProposals: AppliedProposals, auth: AuthStore = AuthStore(), zooKeeper: [UInt8] = [],
        stateMachine: [UInt8]
    ) {
        self.registry = registry
        self.appliedProposals = appliedProposals
        self.auth = auth
        self.zooKeeper = zooKeeper
        self.stateMachine = stateMachine
    }

    /// The snapshot's bytes. Without a registry, the bare state machine.
    public var encoded: [UInt8] {
        guard let registry else { return stateMachine }
        var writer = BinaryWriter(capacity: 64 + 16 * appliedProposals.order.count + zooKeeper.count + stateMachine.count)
        writer.writeRaw(Self.magic)
        writer.writeByte(Self.version)
        writer.writeFixedLengthBytes(registry.encoded)
        appliedProposals.write(to: &writer)
        var authWriter = BinaryWriter(capacity: 64)
        auth.write(to: &authWriter)
        writer.writeFixedLengthBytes(authWriter.bytes)
        writer.writeFixedLengthBytes(zooKeeper)
        writer.writeRaw(stateMachine)
        return writer.bytes
    }

    /// Decodes `encoded`, or a bare state machine from older data.
    /// - Throws: `WireError` when the bytes start with the magic but are
    ///   not a snapshot `encoded` could write.
    public init(decoding bytes: [UInt8], appliedProposalsRemembered: Int = 131_072) throws(WireError) {
        var reader = BinaryReader(bytes)
        guard let parts = try Self.decodeAllButStateMachine(&reader, appliedProposalsRemembered: appliedProposalsRemembered) else {
            self.init(registry: nil, stateMachine: bytes, appliedProposalsRemembered: appliedProposalsRemembered)
            return
        }
        self.init(
            registry: parts.registry, appliedProposals: parts.appliedProposals, auth: parts.auth, zooKeeper: parts.zooKeeper,
            stateMachine: Array(reader.readRest()))
    }

    /// Everything but the key-value state machine, decoded from `reader`
    /// (at the start of `encoded`), which is left at the state machine's
    /// first byte: a caller decodes the state machine where it lies
    /// instead of copying it out (`KVStateMachine(reading:)`). Nil for
    /// older data without the magic (the bytes are a bare state machine;
    /// `reader` has not moved).
    static func decodeAllButStateMachine(
        _ reader: inout BinaryReader, appliedProposalsRemembered: Int
    ) throws(WireError) -> (registry: MemberRegistry, appliedProposals: AppliedProposals, auth: AuthStore, zooKeeper: [UInt8])? {
        guard reader.remainingCount >= Self.magic.count, reader.bytes[reader.offset..<(reader.offset + Self.magic.count)].elementsEqual(Self.magic)
        else { return nil }
        do { _ = try reader.readRaw(count: Self.magic.count) } catch { throw WireError(error) }
        let version = try reader.wireByte()
        guard (1...Self.version).contains(version) else { throw .invalid("unsupported server snapshot version \(version)") }
        let registry = try MemberRegistry(decoding: try reader.wireBytes())
        let applied =
            version == 1
            ? AppliedProposals(capacity: appliedProposalsRemembered)
            : try AppliedProposals(reading: &reader, capacity: appliedProposalsRemembered)
        var auth = AuthStore()
        if version >= 3 {
            var authReader = BinaryReader(try reader.wireBytes())
            auth = try AuthStore(reading: &authReader)
            try authReader.wireEnd("auth store")
        }
        let zooKeeper = version >= 4 ? try reader.wireBytes() : []
        return (registry, applied, auth, zooKeeper)
    }
}
