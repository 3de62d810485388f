import ConcordFoundation

extension ZooKeeper.Command: BinaryCodable {
    /// A command's bytes (inside a ``ZooKeeper/Transaction``, or inside
    /// another envelope that carries the origin and time itself):
    ///
    ///     command     = 1 id:sint timeout:sint password:bytes          createSession
    ///                 | 2 id:sint password:bytes                       reattachSession
    ///                 | 3 id:sint reason:u8                            closeSession
    ///                 | 4 id:sint count identity* write                write
    ///                 | 5 id:sint path:string                          sync
    ///                 | 6 path:string                                  deleteContainer
    ///     write       = 1 operation | 2 path:string count acl* version:sint | 3 count operation*
    ///     operation   = 1 opcode:sint path:string data:bytes count acl* flags:sint ttl:sint
    ///                 | 2 path:string version:sint                     delete
    ///                 | 3 path:string data:bytes version:sint          setData
    ///                 | 4 path:string version:sint                     check
    ///     acl         = perms:sint identity      identity = scheme:string id:string
    public func encode(to writer: inout BinaryWriter) {
        switch self {
        case .createSession(let id, let timeout, let password):
            writer.writeByte(1)
            writer.writeSignedVarint(id)
            writer.writeSignedVarint(Int64(timeout))
            writer.writeBytes(password)
        case .reattachSession(let id, let password):
            writer.writeByte(2)
            writer.writeSignedVarint(id)
            writer.writeBytes(password)
        case .closeSession(let id, let reason):
            writer.writeByte(3)
            writer.writeSignedVarint(id)
            writer.writeByte(reason.rawValue)
        case .write(let id, let identities, let request):
            writer.writeByte(4)
            writer.writeSignedVarint(id)
            writer.writeVarint(UInt64(identities.count))
            for identity in identities { Self.write(identity, to: &writer) }
            Self.write(request, to: &writer)
        case .sync(let id, let path):
            writer.writeByte(5)
            writer.writeSignedVarint(id)
            writer.writeString(path)
        case .deleteContainer(let path):
            writer.writeByte(6)
            writer.writeString(path)
        }
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let tagOffset = reader.offset
        let command: ZooKeeper.Command
        switch try reader.readByte() {
        case 1:
            command = .createSession(sessionID: try reader.readSignedVarint(), timeoutMilliseconds: try Self.readInt32(&reader), password: Array(try reader.readBytes()))
        case 2:
            command = .reattachSession(sessionID: try reader.readSignedVarint(), password: Array(try reader.readBytes()))
        case 3:
            let id = try reader.readSignedVarint()
            let reasonOffset = reader.offset
            guard let reason = ZooKeeper.SessionCloseReason(rawValue: try reader.readByte()) else {
                throw .invalidValue("session close reason", offset: reasonOffset)
            }
            command = .closeSession(sessionID: id, reason: reason)
        case 4:
            let id = try reader.readSignedVarint()
            var identities: [ZooKeeper.Identity] = []
            for _ in 0..<(try reader.readCount(minimumBytesEach: 2)) { identities.append(try Self.readIdentity(&reader)) }
            command = .write(sessionID: id, identities: identities, request: try Self.readWrite(&reader))
        case 5:
            command = .sync(sessionID: try reader.readSignedVarint(), path: try reader.readString())
        case 6:
            command = .deleteContainer(path: try reader.readString())
        case let tag:
            throw .invalidValue("ZooKeeper command tag \(tag)", offset: tagOffset)
        }
        self = command
    }

    private static func write(_ identity: ZooKeeper.Identity, to writer: inout BinaryWriter) {
        writer.writeString(identity.scheme)
        writer.writeString(identity.id)
    }

    private static func write(_ acl: [ZooKeeper.ACL], to writer: inout BinaryWriter) {
        writer.writeVarint(UInt64(acl.count))
        for entry in acl {
            writer.writeSignedVarint(Int64(entry.permissions.rawValue))
            write(entry.identity, to: &writer)
        }
    }

    private static func write(_ request: ZooKeeper.WriteRequest, to writer: inout BinaryWriter) {
        switch request {
        case .single(let operation):
            writer.writeByte(1)
            write(operation, to: &writer)
        case .setACL(let path, let acl, let version):
            writer.writeByte(2)
            writer.writeString(path)
            write(acl, to: &writer)
            writer.writeSignedVarint(Int64(version))
        case .multi(let operations):
            writer.writeByte(3)
            writer.writeVarint(UInt64(operations.count))
            for operation in operations { write(operation, to: &writer) }
        }
    }

    private static func write(_ operation: ZooKeeper.WriteOperation, to writer: inout BinaryWriter) {
        switch operation {
        case .create(let create):
            writer.writeByte(1)
            writer.writeSignedVarint(Int64(create.opCode.rawValue))
            writer.writeString(create.path)
            writer.writeBytes(create.data)
            write(create.acl, to: &writer)
            writer.writeSignedVarint(Int64(create.flags))
            writer.writeSignedVarint(create.ttlMilliseconds)
        case .delete(let path, let version):
            writer.writeByte(2)
            writer.writeString(path)
            writer.writeSignedVarint(Int64(version))
        case .setData(let path, let data, let version):
            writer.writeByte(3)
            writer.writeString(path)
            writer.writeBytes(data)
            writer.writeSignedVarint(Int64(version))
        case .check(let path, let version):
            writer.writeByte(4)
            writer.writeString(path)
            writer.writeSignedVarint(Int64(version))
        }
    }

    private static func readInt32(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> Int32 {
        let start = reader.offset
        guard let value = Int32(exactly: try reader.readSignedVarint()) else { throw .invalidValue("32-bit integer out of range", offset: start) }
        return value
    }

    private static func readIdentity(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> ZooKeeper.Identity {
        ZooKeeper.Identity(scheme: try reader.readString(), id: try reader.readString())
    }

    private static func readACL(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> [ZooKeeper.ACL] {
        var acl: [ZooKeeper.ACL] = []
        for _ in 0..<(try reader.readCount(minimumBytesEach: 3)) {
            let permissions = ZooKeeper.Permissions(rawValue: try readInt32(&reader))
            acl.append(ZooKeeper.ACL(permissions: permissions, identity: try readIdentity(&reader)))
        }
        return acl
    }

    private static func readWrite(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> ZooKeeper.WriteRequest {
        let start = reader.offset
        switch try reader.readByte() {
        case 1:
            return .single(try readOperation(&reader))
        case 2:
            return .setACL(path: try reader.readString(), acl: try readACL(&reader), version: try readInt32(&reader))
        case 3:
            var operations: [ZooKeeper.WriteOperation] = []
            for _ in 0..<(try reader.readCount(minimumBytesEach: 3)) { operations.append(try readOperation(&reader)) }
            return .multi(operations)
        case let tag:
            throw .invalidValue("ZooKeeper write tag \(tag)", offset: start)
        }
    }

    private static func readOperation(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> ZooKeeper.WriteOperation {
        let start = reader.offset
        switch try reader.readByte() {
        case 1:
            let opCodeOffset = reader.offset
            guard let opCode = ZooKeeper.OpCode(rawValue: try readInt32(&reader)),
                [.create, .create2, .createContainer, .createTTL].contains(opCode)
            else { throw .invalidValue("create op code", offset: opCodeOffset) }
            let path = try reader.readString()
            let data = Array(try reader.readBytes())
            let acl = try readACL(&reader)
            let flags = try readInt32(&reader)
            let ttl = try reader.readSignedVarint()
            return .create(ZooKeeper.CreateOperation(opCode: opCode, path: path, data: data, acl: acl, flags: flags, ttlMilliseconds: ttl))
        case 2:
            return .delete(path: try reader.readString(), version: try readInt32(&reader))
        case 3:
            return .setData(path: try reader.readString(), data: Array(try reader.readBytes()), version: try readInt32(&reader))
        case 4:
            return .check(path: try reader.readString(), version: try readInt32(&reader))
        case let tag:
            throw .invalidValue("ZooKeeper operation tag \(tag)", offset: start)
        }
    }
}
