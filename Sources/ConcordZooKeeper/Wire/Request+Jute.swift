import ConcordFoundation

extension ZooKeeper {
    /// Why a request body could not be decoded, and what the server answers.
    public enum RequestDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// An op code this server does not serve (reconfig, sasl, an unknown
        /// number): ZooKeeper answers UNIMPLEMENTED and keeps the connection.
        case unsupported(opCode: Int32)
        /// The body does not parse as the op code's record: ZooKeeper
        /// answers MARSHALLINGERROR and keeps the connection.
        case malformed(opCode: Int32, BinaryDecodingError)

        /// The error code the reply carries.
        public var errorCode: ErrorCode {
            switch self {
            case .unsupported: .unimplemented
            case .malformed: .marshallingError
            }
        }

        public var description: String {
            switch self {
            case .unsupported(let opCode): "op code \(opCode) is not supported"
            case .malformed(let opCode, let error): "malformed body for op code \(opCode): \(error)"
            }
        }
    }
}

extension ZooKeeper.Request {
    typealias JuteWriter = ZooKeeper.JuteWriter
    typealias JuteReader = ZooKeeper.JuteReader

    /// Decodes a request body of op code `type` (the bytes after the
    /// request header), which must be used up entirely.
    public static func decode(type: Int32, body: ArraySlice<UInt8>) throws(ZooKeeper.RequestDecodingError) -> ZooKeeper.Request {
        guard let opCode = ZooKeeper.OpCode(rawValue: type) else { throw .unsupported(opCode: type) }
        var reader = JuteReader(body)
        let decoded: ZooKeeper.Request?
        do {
            decoded = try decodeBody(opCode, &reader)
            if decoded != nil { try reader.finish() }
        } catch {
            throw .malformed(opCode: type, error)
        }
        guard let decoded else { throw .unsupported(opCode: type) }
        return decoded
    }

    /// The request's body (what follows the request header).
    public func encodedBody() -> [UInt8] {
        var writer = JuteWriter()
        switch self {
        case .write(.single(let operation)):
            Self.encode(operation, &writer)
        case .write(.setACL(let path, let acl, let version)):
            writer.writeString(path)
            writer.writeACL(acl)
            writer.writeInt(version)
        case .write(.multi(let operations)):
            for operation in operations {
                ZooKeeper.MultiHeader(type: operation.opCode.rawValue, done: false, err: -1).encode(to: &writer)
                Self.encode(operation, &writer)
            }
            ZooKeeper.MultiHeader.end.encode(to: &writer)
        case .read(let read):
            Self.encode(read, &writer)
        case .sync(let path):
            writer.writeString(path)
        case .ping, .closeSession:
            break
        case .setWatches(let watches):
            writer.writeLong(watches.relativeZxid)
            writer.writeStrings(watches.dataWatches)
            writer.writeStrings(watches.existWatches)
            writer.writeStrings(watches.childWatches)
            if watches.isVersion2 {
                writer.writeStrings(watches.persistentWatches)
                writer.writeStrings(watches.persistentRecursiveWatches)
            }
        case .addWatch(let path, let mode):
            writer.writeString(path)
            writer.writeInt(mode.rawValue)
        case .checkWatches(let path, let type), .removeWatches(let path, let type):
            writer.writeString(path)
            writer.writeInt(type.rawValue)
        case .authenticate(let scheme, let credential):
            writer.writeInt(0)
            writer.writeString(scheme)
            writer.writeBuffer(credential)
        }
        return writer.bytes
    }

    private static func encode(_ operation: ZooKeeper.WriteOperation, _ writer: inout JuteWriter) {
        switch operation {
        case .create(let create):
            writer.writeString(create.path)
            writer.writeBuffer(create.data)
            writer.writeACL(create.acl)
            writer.writeInt(create.flags)
            if create.opCode == .createTTL { writer.writeLong(create.ttlMilliseconds) }
        case .delete(let path, let version), .check(let path, let version):
            writer.writeString(path)
            writer.writeInt(version)
        case .setData(let path, let data, let version):
            writer.writeString(path)
            writer.writeBuffer(data)
            writer.writeInt(version)
        }
    }

    private static func encode(_ read: ZooKeeper.ReadRequest, _ writer: inout JuteWriter) {
        switch read {
        case .exists(let path, let watch), .getData(let path, let watch), .getChildren(let path, let watch), .getChildren2(let path, let watch):
            writer.writeString(path)
            writer.writeBool(watch)
        case .getACL(let path), .getAllChildrenNumber(let path):
            writer.writeString(path)
        case .getEphemerals(let prefix):
            writer.writeString(prefix)
        case .multiRead(let operations):
            for operation in operations {
                switch operation {
                case .getChildren(let path):
                    ZooKeeper.MultiHeader(type: ZooKeeper.OpCode.getChildren.rawValue, done: false, err: -1).encode(to: &writer)
                    writer.writeString(path)
                    writer.writeBool(false)
                case .getData(let path):
                    ZooKeeper.MultiHeader(type: ZooKeeper.OpCode.getData.rawValue, done: false, err: -1).encode(to: &writer)
                    writer.writeString(path)
                    writer.writeBool(false)
                }
            }
            ZooKeeper.MultiHeader.end.encode(to: &writer)
        }
    }

    /// The request of a known op code, or nil if the server does not serve it.
    private static func decodeBody(_ opCode: ZooKeeper.OpCode, _ reader: inout JuteReader) throws(BinaryDecodingError) -> ZooKeeper.Request? {
        switch opCode {
        case .create, .create2, .createContainer, .createTTL, .delete, .setData, .check:
            return .write(.single(try decodeOperation(opCode, &reader)))
        case .setACL:
            return .write(.setACL(path: try reader.readRequiredString(), acl: try reader.readACL(), version: try reader.readInt()))
        case .multi:
            var operations: [ZooKeeper.WriteOperation] = []
            while true {
                let headerOffset = reader.offset
                let header = try ZooKeeper.MultiHeader(jute: &reader)
                if header.done { break }
                guard let type = ZooKeeper.OpCode(rawValue: header.type),
                    [.create, .create2, .createContainer, .createTTL, .delete, .setData, .check].contains(type)
                else { throw .invalidValue("operation type \(header.type) in a multi", offset: headerOffset) }
                operations.append(try decodeOperation(type, &reader))
            }
            return .write(.multi(operations))
        case .exists:
            return .read(.exists(path: try reader.readRequiredString(), watch: try reader.readBool()))
        case .getData:
            return .read(.getData(path: try reader.readRequiredString(), watch: try reader.readBool()))
        case .getChildren:
            return .read(.getChildren(path: try reader.readRequiredString(), watch: try reader.readBool()))
        case .getChildren2:
            return .read(.getChildren2(path: try reader.readRequiredString(), watch: try reader.readBool()))
        case .getACL:
            return .read(.getACL(path: try reader.readRequiredString()))
        case .getAllChildrenNumber:
            return .read(.getAllChildrenNumber(path: try reader.readRequiredString()))
        case .getEphemerals:
            return .read(.getEphemerals(prefix: try reader.readString() ?? ""))
        case .multiRead:
            var operations: [ZooKeeper.ReadOperation] = []
            while true {
                let headerOffset = reader.offset
                let header = try ZooKeeper.MultiHeader(jute: &reader)
                if header.done { break }
                let path = try reader.readRequiredString()
                _ = try reader.readBool()
                switch ZooKeeper.OpCode(rawValue: header.type) {
                case .getChildren?: operations.append(.getChildren(path: path))
                case .getData?: operations.append(.getData(path: path))
                default: throw .invalidValue("operation type \(header.type) in a multiRead", offset: headerOffset)
                }
            }
            return .read(.multiRead(operations))
        case .sync:
            return .sync(path: try reader.readRequiredString())
        case .ping:
            return .ping
        case .closeSession:
            return .closeSession
        case .setWatches, .setWatches2:
            let relativeZxid = try reader.readLong()
            let data = try reader.readStrings()
            let exist = try reader.readStrings()
            let child = try reader.readStrings()
            guard opCode == .setWatches2 else {
                return .setWatches(ZooKeeper.SetWatches(relativeZxid: relativeZxid, dataWatches: data, existWatches: exist, childWatches: child))
            }
            let persistent = try reader.readStrings()
            let recursive = try reader.readStrings()
            return .setWatches(ZooKeeper.SetWatches(
                relativeZxid: relativeZxid, dataWatches: data, existWatches: exist, childWatches: child,
                persistentWatches: persistent, persistentRecursiveWatches: recursive, isVersion2: true))
        case .addWatch:
            let path = try reader.readRequiredString()
            let modeOffset = reader.offset
            guard let mode = ZooKeeper.AddWatchMode(rawValue: try reader.readInt()) else { throw .invalidValue("addWatch mode", offset: modeOffset) }
            return .addWatch(path: path, mode: mode)
        case .checkWatches, .removeWatches:
            let path = try reader.readRequiredString()
            let typeOffset = reader.offset
            guard let type = ZooKeeper.WatcherType(rawValue: try reader.readInt()) else { throw .invalidValue("watcher type", offset: typeOffset) }
            return opCode == .checkWatches ? .checkWatches(path: path, type: type) : .removeWatches(path: path, type: type)
        case .auth:
            _ = try reader.readInt()
            return .authenticate(scheme: try reader.readString() ?? "", credential: try reader.readBuffer() ?? [])
        case .notification, .reconfig, .deleteContainer, .sasl, .whoAmI, .createSession, .error:
            return nil
        }
    }

    private static func decodeOperation(_ opCode: ZooKeeper.OpCode, _ reader: inout JuteReader) throws(BinaryDecodingError) -> ZooKeeper.WriteOperation {
        switch opCode {
        case .create, .create2, .createContainer, .createTTL:
            let path = try reader.readRequiredString()
            let data = try reader.readBuffer() ?? []
            let acl = try reader.readACL()
            let flags = try reader.readInt()
            let ttl = opCode == .createTTL ? try reader.readLong() : -1
            return .create(ZooKeeper.CreateOperation(opCode: opCode, path: path, data: data, acl: acl, flags: flags, ttlMilliseconds: ttl))
        case .delete:
            return .delete(path: try reader.readRequiredString(), version: try reader.readInt())
        case .setData:
            return .setData(path: try reader.readRequiredString(), data: try reader.readBuffer() ?? [], version: try reader.readInt())
        case .check:
            return .check(path: try reader.readRequiredString(), version: try reader.readInt())
        default:
            preconditionFailure("not a write operation")
        }
    }
}
