import ConcordFoundation

extension ZooKeeper {
    /// A record of ZooKeeper's jute definitions (zookeeper.jute): written
    /// field by field in declaration order, read back the same way.
    public protocol JuteRecord: Sendable {
        /// Appends the record's fields.
        func encode(to writer: inout JuteWriter)
        /// Reads the record's fields.
        init(jute reader: inout JuteReader) throws(BinaryDecodingError)
    }
}

extension ZooKeeper.JuteRecord {
    /// The record's bytes.
    public var juteEncoded: [UInt8] {
        var writer = ZooKeeper.JuteWriter()
        encode(to: &writer)
        return writer.bytes
    }

    /// Decodes a record that must take up all of `bytes`.
    public init(juteEncoded bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = ZooKeeper.JuteReader(bytes)
        self = try Self(jute: &reader)
        try reader.finish()
    }
}

extension ZooKeeper.Stat: ZooKeeper.JuteRecord {
    public func encode(to writer: inout ZooKeeper.JuteWriter) {
        writer.writeLong(czxid)
        writer.writeLong(mzxid)
        writer.writeLong(ctime)
        writer.writeLong(mtime)
        writer.writeInt(version)
        writer.writeInt(cversion)
        writer.writeInt(aversion)
        writer.writeLong(ephemeralOwner)
        writer.writeInt(dataLength)
        writer.writeInt(numChildren)
        writer.writeLong(pzxid)
    }

    public init(jute reader: inout ZooKeeper.JuteReader) throws(BinaryDecodingError) {
        self.init(
            czxid: try reader.readLong(), mzxid: try reader.readLong(), ctime: try reader.readLong(),
            mtime: try reader.readLong(), version: try reader.readInt(), cversion: try reader.readInt(),
            aversion: try reader.readInt(), ephemeralOwner: try reader.readLong(), dataLength: try reader.readInt(),
            numChildren: try reader.readInt(), pzxid: try reader.readLong())
    }
}

extension ZooKeeper.Identity: ZooKeeper.JuteRecord {
    public func encode(to writer: inout ZooKeeper.JuteWriter) {
        writer.writeString(scheme)
        writer.writeString(id)
    }

    /// Reads an `Id`; a null scheme or id reads as empty (and is refused as
    /// an invalid ACL where it matters).
    public init(jute reader: inout ZooKeeper.JuteReader) throws(BinaryDecodingError) {
        self.init(scheme: try reader.readString() ?? "", id: try reader.readString() ?? "")
    }
}

extension ZooKeeper.ACL: ZooKeeper.JuteRecord {
    public func encode(to writer: inout ZooKeeper.JuteWriter) {
        writer.writeInt(permissions.rawValue)
        identity.encode(to: &writer)
    }

    public init(jute reader: inout ZooKeeper.JuteReader) throws(BinaryDecodingError) {
        self.init(permissions: ZooKeeper.Permissions(rawValue: try reader.readInt()), identity: try ZooKeeper.Identity(jute: &reader))
    }

    /// The least bytes an ACL takes on the wire (perms and two null strings).
    static let encodedBytesMin = 12
}

extension ZooKeeper.JuteWriter {
    /// Appends a vector of ACLs.
    mutating func writeACL(_ acl: [ZooKeeper.ACL]) {
        writeVector(acl) { $1.encode(to: &$0) }
    }
}

extension ZooKeeper.JuteReader {
    /// Reads a vector of ACLs (a null vector reads as empty, which a create
    /// or setACL refuses as INVALIDACL).
    mutating func readACL() throws(BinaryDecodingError) -> [ZooKeeper.ACL] {
        try readVector(minimumBytesEach: ZooKeeper.ACL.encodedBytesMin) { (reader: inout ZooKeeper.JuteReader) throws(BinaryDecodingError) in
            try ZooKeeper.ACL(jute: &reader)
        } ?? []
    }

    /// Reads a string that must be present (a path).
    mutating func readRequiredString() throws(BinaryDecodingError) -> String {
        let start = offset
        guard let value = try readString() else { throw .invalidValue("null string", offset: start) }
        return value
    }
}
