/// What a Concord Raft snapshot's data holds: the member registry and the
/// key-value state machine.
///
/// Layout: the magic `CNSM` (0x43 0x4E 0x53 0x4D), a version byte (1), the
/// encoded `MemberRegistry` as a 4-byte length and its bytes, then the
/// encoded `KVStateMachine` to the end (empty for an empty store).
///
/// Data directories written before the registry existed hold the bare
/// state machine (which starts with its own version byte, 1) or nothing;
/// `init(decoding:)` reads those with `registry == nil`, and the node
/// rebuilds the registry from `--initial-cluster`.
struct ServerSnapshot: Sendable, Hashable {
    static let magic: [UInt8] = [0x43, 0x4E, 0x53, 0x4D]
    static let version: UInt8 = 1

    /// The member registry; nil for data written before it existed.
    var registry: MemberRegistry?
    /// The encoded `KVStateMachine`; empty for an empty store.
    var stateMachine: [UInt8]

    init(registry: MemberRegistry?, stateMachine: [UInt8]) {
        self.registry = registry
        self.stateMachine = stateMachine
    }

    /// The snapshot's bytes. Without a registry, the bare state machine.
    var encoded: [UInt8] {
        guard let registry else { return stateMachine }
        var writer = WireWriter(capacity: 64 + stateMachine.count)
        for byte in Self.magic { writer.write(byte) }
        writer.write(Self.version)
        writer.write(bytes: registry.encoded)
        var bytes = writer.bytes
        bytes.append(contentsOf: stateMachine)
        return bytes
    }

    /// Decodes `encoded`, or a bare state machine from older data.
    /// - Throws: `WireError` when the bytes start with the magic but are
    ///   not a snapshot `encoded` could write.
    init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= Self.magic.count, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            self.init(registry: nil, stateMachine: bytes)
            return
        }
        var reader = WireReader(Array(bytes.dropFirst(Self.magic.count)))
        let version = try reader.readByte()
        guard version == Self.version else { throw .invalid("unsupported server snapshot version \(version)") }
        let registry = try MemberRegistry(decoding: try reader.readBytes())
        let start = Self.magic.count + reader.offset
        self.init(registry: registry, stateMachine: Array(bytes[start...]))
    }
}
