import ConcordFoundation

extension ZooKeeper.Response {
    /// The response's body (what follows the reply header).
    public func encodedBody() -> [UInt8] {
        var writer = ZooKeeper.JuteWriter()
        encode(to: &writer)
        return writer.bytes
    }

    /// Appends the response's body.
    public func encode(to writer: inout ZooKeeper.JuteWriter) {
        switch self {
        case .empty:
            break
        case .path(let path):
            writer.writeString(path)
        case .pathAndStat(let path, let stat):
            writer.writeString(path)
            stat.encode(to: &writer)
        case .stat(let stat):
            stat.encode(to: &writer)
        case .data(let data, let stat):
            writer.writeBuffer(data)
            stat.encode(to: &writer)
        case .children(let children):
            writer.writeStrings(children)
        case .childrenAndStat(let children, let stat):
            writer.writeStrings(children)
            stat.encode(to: &writer)
        case .acl(let acl, let stat):
            writer.writeACL(acl)
            stat.encode(to: &writer)
        case .count(let count):
            writer.writeInt(count)
        case .paths(let paths):
            writer.writeStrings(paths)
        case .multi(let results):
            for result in results {
                let err: Int32 = if case .error(let code) = result { code.rawValue } else { 0 }
                ZooKeeper.MultiHeader(type: result.opCode.rawValue, done: false, err: err).encode(to: &writer)
                switch result {
                case .create(let path):
                    writer.writeString(path)
                case .create2(let path, let stat):
                    writer.writeString(path)
                    stat.encode(to: &writer)
                case .delete, .check:
                    break
                case .setData(let stat):
                    stat.encode(to: &writer)
                case .getData(let data, let stat):
                    writer.writeBuffer(data)
                    stat.encode(to: &writer)
                case .getChildren(let children):
                    writer.writeStrings(children)
                case .error(let code):
                    writer.writeInt(code.rawValue)
                }
            }
            ZooKeeper.MultiHeader.end.encode(to: &writer)
        case .watchAdded:
            writer.writeInt(0)
        }
    }

    /// Decodes the body of a successful reply to a request of op code
    /// `requestType` (what a client does; the server only encodes).
    public static func decode(requestType: ZooKeeper.OpCode, body: ArraySlice<UInt8>) throws(BinaryDecodingError) -> ZooKeeper.Response {
        var reader = ZooKeeper.JuteReader(body)
        let response = try decodeBody(requestType, &reader)
        try reader.finish()
        return response
    }

    private static func decodeBody(_ type: ZooKeeper.OpCode, _ reader: inout ZooKeeper.JuteReader) throws(BinaryDecodingError) -> ZooKeeper.Response {
        switch type {
        case .create, .sync:
            return .path(try reader.readRequiredString())
        case .create2, .createContainer, .createTTL:
            return .pathAndStat(path: try reader.readRequiredString(), stat: try ZooKeeper.Stat(jute: &reader))
        case .exists, .setData, .setACL:
            return .stat(try ZooKeeper.Stat(jute: &reader))
        case .check:
            return reader.remainingCount == 0 ? .empty : .stat(try ZooKeeper.Stat(jute: &reader))
        case .getData:
            return .data(data: try reader.readBuffer() ?? [], stat: try ZooKeeper.Stat(jute: &reader))
        case .getChildren:
            return .children(try reader.readStrings())
        case .getChildren2:
            return .childrenAndStat(children: try reader.readStrings(), stat: try ZooKeeper.Stat(jute: &reader))
        case .getACL:
            return .acl(acl: try reader.readACL(), stat: try ZooKeeper.Stat(jute: &reader))
        case .getAllChildrenNumber:
            return .count(try reader.readInt())
        case .getEphemerals:
            return .paths(try reader.readStrings())
        case .multi, .multiRead:
            var results: [ZooKeeper.MultiResult] = []
            while true {
                let headerOffset = reader.offset
                let header = try ZooKeeper.MultiHeader(jute: &reader)
                if header.done { break }
                switch ZooKeeper.OpCode(rawValue: header.type) {
                case .create?: results.append(.create(path: try reader.readRequiredString()))
                case .create2?: results.append(.create2(path: try reader.readRequiredString(), stat: try ZooKeeper.Stat(jute: &reader)))
                case .delete?: results.append(.delete)
                case .check?: results.append(.check)
                case .setData?: results.append(.setData(stat: try ZooKeeper.Stat(jute: &reader)))
                case .getData?: results.append(.getData(data: try reader.readBuffer() ?? [], stat: try ZooKeeper.Stat(jute: &reader)))
                case .getChildren?: results.append(.getChildren(children: try reader.readStrings()))
                case .error?:
                    let codeOffset = reader.offset
                    guard let code = ZooKeeper.ErrorCode(rawValue: try reader.readInt()) else { throw .invalidValue("error code", offset: codeOffset) }
                    results.append(.error(code))
                default:
                    throw .invalidValue("result type \(header.type) in a multi response", offset: headerOffset)
                }
            }
            return .multi(results)
        case .addWatch:
            _ = try reader.readInt()
            return .watchAdded
        case .delete, .ping, .closeSession, .setWatches, .setWatches2, .checkWatches, .removeWatches, .auth:
            return .empty
        case .notification, .reconfig, .deleteContainer, .sasl, .whoAmI, .createSession, .error:
            throw .invalidValue("no response record for \(type)", offset: 0)
        }
    }
}
