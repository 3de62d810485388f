import ConcordFoundation
import ConcordKV
import ConcordZooKeeper

/// The replica that proposed a log entry and a request id unique on that
/// replica: whichever replica applies the entry, only the proposer answers
/// the client waiting for it, and a payload proposed twice (a retry after a
/// leader change) is applied once.
public struct ProposalID: Sendable, Hashable, CustomStringConvertible {
    /// The proposing member.
    public var proposer: UInt64
    /// Unique among the proposer's proposals.
    public var request: UInt64

    /// Creates an id.
    public init(proposer: UInt64, request: UInt64) {
        self.proposer = proposer
        self.request = request
    }

    /// `proposer:request` in hexadecimal.
    public var description: String { "\(String(proposer, radix: 16)):\(String(request, radix: 16))" }
}

/// Everything that enters a Concord server's replicated log, in one typed,
/// versioned format.
///
/// A normal Raft entry's data is one encoded payload; a configuration
/// change entry carries one in its context (a member change commits with
/// the Raft configuration change it accompanies, as etcd's
/// `ConfChange.Context` does).
public enum LogPayload: Sendable, Hashable {
    /// A key-value or lease command of the etcd API.
    case store(ProposalID, StoreCommand)
    /// A change to the member registry.
    case member(ProposalID, MemberCommand)
    /// A change to the auth store.
    case auth(ProposalID, AuthCommand)
    /// A client's key-value write or lease revoke with the caller it is
    /// made as (nil for a call without a token or certificate): checked
    /// against the auth store when applied, as etcd 3.4 checks writes
    /// with the `AuthInfo` in the request header.
    case checkedStore(ProposalID, AuthCaller?, StoreCommand)
    /// A client's change to the auth store with the caller it is made as:
    /// checked for root when applied, as etcd 3.4's `IsAdminPermitted`
    /// in its applier.
    case checkedAuth(ProposalID, AuthCaller?, AuthCommand)
    /// A ZooKeeper transaction: the proposal id stands for the
    /// transaction's origin (the proposer is its server; the request the
    /// proposer's own business, mapped to the ZooKeeper server's tag while
    /// it waits), then the time the proposer stamped it with (milliseconds,
    /// the proposer's clock) and the command.
    case zooKeeper(ProposalID, timeMilliseconds: Int64, ZooKeeper.Command)

    /// The id of the proposal the payload carries.
    public var proposalID: ProposalID {
        switch self {
        case .store(let id, _), .member(let id, _), .auth(let id, _), .checkedStore(let id, _, _), .checkedAuth(let id, _, _),
            .zooKeeper(let id, _, _):
            id
        }
    }

    /// The format version written and accepted. Version 1 was the
    /// untyped envelope of earlier releases; it is refused.
    public static let version: UInt8 = 2

    /// The bytes before a payload's body: version, kind, proposer, request.
    public static let headerBytes = 18

    enum Kind: UInt8 {
        case store = 1
        case member = 2
        case auth = 3
        case checkedStore = 4
        case checkedAuth = 5
        case zooKeeper = 6
    }

    /// The payload's bytes.
    ///
    /// Layout: version byte (2), kind byte (1 store, 2 member, 3 auth,
    /// 4 checked store, 5 checked auth, 6 ZooKeeper), proposer and request id (8 bytes each,
    /// little-endian), then the body: a store command as
    /// `StoreCommand.encoded()` writes it, to the end; a member command as
    /// `MemberCommand.write(to:)` writes it; an auth command as
    /// `AuthCommand.write(to:)` writes it; a checked store command as its
    /// caller (a byte, 0 for none or 1, then the name as a 4-byte length
    /// and UTF-8 bytes and the auth revision in 8 bytes) and then the
    /// store command, to the end; a checked auth command as its caller, the
    /// same way, and then the auth command.
    public func encoded() -> [UInt8] {
        switch self {
        case .store(let id, let command):
            let body = command.encoded()
            var writer = BinaryWriter(capacity: Self.headerBytes + body.count)
            Self.writeHeader(.store, id, to: &writer)
            writer.writeRaw(body)
            return writer.bytes
        case .member(let id, let command):
            var writer = BinaryWriter(capacity: 128)
            Self.writeHeader(.member, id, to: &writer)
            command.write(to: &writer)
            return writer.bytes
        case .auth(let id, let command):
            var writer = BinaryWriter(capacity: 128)
            Self.writeHeader(.auth, id, to: &writer)
            command.write(to: &writer)
            return writer.bytes
        case .checkedStore(let id, let caller, let command):
            return Self.encodedCheckedStore(id, caller: caller, commandBytes: command.encoded())
        case .checkedAuth(let id, let caller, let command):
            var writer = BinaryWriter(capacity: 128)
            Self.writeHeader(.checkedAuth, id, to: &writer)
            Self.writeCaller(caller, to: &writer)
            command.write(to: &writer)
            return writer.bytes
        case .zooKeeper(let id, let time, let command):
            var writer = BinaryWriter(capacity: 128)
            Self.writeHeader(.zooKeeper, id, to: &writer)
            writer.writeFixed(UInt64(bitPattern: time))
            command.encode(to: &writer)
            return writer.bytes
        }
    }

    /// The bytes of `.checkedStore(id, caller, command)` from the
    /// command's bytes, without encoding the command again.
    static func encodedCheckedStore(_ id: ProposalID, caller: AuthCaller?, commandBytes: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter(capacity: headerBytes + 1 + (caller.map { 12 + $0.name.utf8.count } ?? 0) + commandBytes.count)
        writeHeader(.checkedStore, id, to: &writer)
        writeCaller(caller, to: &writer)
        writer.writeRaw(commandBytes)
        return writer.bytes
    }

    private static func writeCaller(_ caller: AuthCaller?, to writer: inout BinaryWriter) {
        if let caller {
            writer.writeByte(1)
            AuthCommand.writeText(caller.name, &writer)
            writer.writeFixed(caller.revision)
        } else {
            writer.writeByte(0)
        }
    }

    private static func readCaller(_ reader: inout BinaryReader, of what: String) throws(WireError) -> AuthCaller? {
        switch try reader.wireByte() {
        case 0: return nil
        case 1: return AuthCaller(name: try AuthCommand.readText(&reader), revision: try reader.wireUInt64())
        case let flag: throw .invalid("\(what): caller flag \(flag)")
        }
    }

    private static func writeHeader(_ kind: Kind, _ id: ProposalID, to writer: inout BinaryWriter) {
        writer.writeByte(version)
        writer.writeByte(kind.rawValue)
        writer.writeFixed(id.proposer)
        writer.writeFixed(id.request)
    }

    /// Decodes `encoded()`'s bytes.
    /// - Throws: `WireError` naming what is wrong: an unsupported version,
    ///   an unknown kind, or a body that does not decode. Nothing else.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = BinaryReader(bytes)
        let version = try reader.wireByte()
        guard version == Self.version else { throw .invalid("unsupported log payload version \(version)") }
        let kindByte = try reader.wireByte()
        guard let kind = Kind(rawValue: kindByte) else { throw .invalid("unknown log payload kind \(kindByte)") }
        let id = ProposalID(proposer: try reader.wireUInt64(), request: try reader.wireUInt64())
        switch kind {
        case .store:
            do {
                self = .store(id, try StoreCommand(decoding: Array(reader.readRest())))
            } catch {
                throw .invalid("store command: \(error)")
            }
        case .member:
            self = .member(id, try MemberCommand(reading: &reader))
            try reader.wireEnd("member command")
        case .auth:
            self = .auth(id, try AuthCommand(reading: &reader))
            try reader.wireEnd("auth command")
        case .checkedStore:
            let caller = try Self.readCaller(&reader, of: "checked store command")
            do {
                self = .checkedStore(id, caller, try StoreCommand(decoding: Array(reader.readRest())))
            } catch {
                throw .invalid("checked store command: \(error)")
            }
        case .checkedAuth:
            let caller = try Self.readCaller(&reader, of: "checked auth command")
            self = .checkedAuth(id, caller, try AuthCommand(reading: &reader))
            try reader.wireEnd("checked auth command")
        case .zooKeeper:
            let time = try reader.wireInt64()
            do {
                self = .zooKeeper(id, timeMilliseconds: time, try ZooKeeper.Command(from: &reader))
            } catch {
                throw .invalid("ZooKeeper command: \(WireError(error))")
            }
            try reader.wireEnd("ZooKeeper command")
        }
    }
}
