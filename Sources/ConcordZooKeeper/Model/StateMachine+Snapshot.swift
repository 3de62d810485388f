import ConcordFoundation

extension ZooKeeper.StateMachine {
    /// The snapshot format's version byte.
    public static let snapshotFormatVersion: UInt8 = 1

    /// The replicated state as bytes, the same on every replica that applied
    /// the same transactions (nodes in path order, sessions in id order):
    ///
    ///     snapshot = version:u8(1) lastZxid:sint lastTime:sint
    ///                count node* count session*
    ///     node     = path:string data:bytes count (perms:sint scheme:string id:string)*
    ///                czxid:sint mzxid:sint pzxid:sint ctime:sint mtime:sint
    ///                version:sint cversion:sint aversion:sint ephemeralOwner:sint
    ///     session  = id:sint timeout:sint password:bytes owner:varint
    ///
    /// Children lists and the ephemeral index are not stored: they follow
    /// from the paths and owners.
    public func snapshot() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeByte(Self.snapshotFormatVersion)
        writer.writeSignedVarint(lastZxid)
        writer.writeSignedVarint(lastTimeMilliseconds)
        writer.writeVarint(UInt64(tree.nodes.count))
        for path in tree.nodes.keys.sorted(by: { ZooKeeper.Node.precedes($0, $1) }) {
            let node = tree.nodes[path]!
            writer.writeString(path)
            writer.writeBytes(node.data)
            writer.writeVarint(UInt64(node.acl.count))
            for entry in node.acl {
                writer.writeSignedVarint(Int64(entry.permissions.rawValue))
                writer.writeString(entry.identity.scheme)
                writer.writeString(entry.identity.id)
            }
            for value in [node.czxid, node.mzxid, node.pzxid, node.ctime, node.mtime] { writer.writeSignedVarint(value) }
            for value in [node.version, node.cversion, node.aversion] { writer.writeSignedVarint(Int64(value)) }
            writer.writeSignedVarint(node.ephemeralOwner)
        }
        writer.writeVarint(UInt64(sessions.count))
        for id in sessions.keys.sorted() {
            let session = sessions[id]!
            writer.writeSignedVarint(session.id)
            writer.writeSignedVarint(Int64(session.timeoutMilliseconds))
            writer.writeBytes(session.password)
            writer.writeVarint(session.owner)
        }
        return writer.bytes
    }

    /// Restores a state machine from ``snapshot()``'s bytes.
    /// - Throws: ``BinaryDecodingError`` for bytes that are not a snapshot or
    ///   whose content breaks an invariant (a node without its parent, an
    ///   ephemeral node without its session, ...); nothing is restored then.
    public init(snapshot bytes: [UInt8], limits: ZooKeeper.Limits = ZooKeeper.Limits()) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == Self.snapshotFormatVersion else { throw .invalidValue("snapshot format version \(version)", offset: 0) }
        let lastZxid = try reader.readSignedVarint()
        let lastTime = try reader.readSignedVarint()
        var stored: [(path: String, node: ZooKeeper.Node)] = []
        for _ in 0..<(try reader.readCount(minimumBytesEach: 12)) {
            let path = try reader.readString()
            let data = Array(try reader.readBytes())
            var acl: [ZooKeeper.ACL] = []
            for _ in 0..<(try reader.readCount(minimumBytesEach: 3)) {
                let permissions = try Self.readInt32(&reader)
                let scheme = try reader.readString()
                let id = try reader.readString()
                acl.append(ZooKeeper.ACL(permissions: ZooKeeper.Permissions(rawValue: permissions), identity: ZooKeeper.Identity(scheme: scheme, id: id)))
            }
            var node = ZooKeeper.Node(data: data, acl: acl, ephemeralOwner: 0, zxid: 0, timeMilliseconds: 0)
            node.czxid = try reader.readSignedVarint()
            node.mzxid = try reader.readSignedVarint()
            node.pzxid = try reader.readSignedVarint()
            node.ctime = try reader.readSignedVarint()
            node.mtime = try reader.readSignedVarint()
            node.version = try Self.readInt32(&reader)
            node.cversion = try Self.readInt32(&reader)
            node.aversion = try Self.readInt32(&reader)
            node.ephemeralOwner = try reader.readSignedVarint()
            stored.append((path, node))
        }
        var sessions: [Int64: ZooKeeper.Session] = [:]
        for _ in 0..<(try reader.readCount(minimumBytesEach: 4)) {
            let start = reader.offset
            let id = try reader.readSignedVarint()
            let timeout = try Self.readInt32(&reader)
            let password = Array(try reader.readBytes())
            let owner = try reader.readVarint()
            guard id > 0, sessions[id] == nil else { throw .invalidValue("session \(id)", offset: start) }
            sessions[id] = ZooKeeper.Session(id: id, timeoutMilliseconds: timeout, password: password, owner: owner)
        }
        try reader.finish()
        let tree: ZooKeeper.DataTree
        do {
            tree = try ZooKeeper.DataTree(restoring: stored)
        } catch {
            throw .invalidValue("inconsistent snapshot: \(error.reason)", offset: 0)
        }
        for session in tree.ephemerals.keys where sessions[session] == nil {
            throw .invalidValue("inconsistent snapshot: ephemeral nodes of unknown session \(session)", offset: 0)
        }
        self.init(limits: limits)
        self.tree = tree
        self.sessions = sessions
        self.lastZxid = lastZxid
        self.lastTimeMilliseconds = lastTime
    }

    private static func readInt32(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> Int32 {
        let start = reader.offset
        guard let value = Int32(exactly: try reader.readSignedVarint()) else { throw .invalidValue("32-bit integer out of range", offset: start) }
        return value
    }
}
