import ConcordDynamo
import ConcordRedis
import FuzzSupport

/// A Redis client's input (multibulk and inline requests, pipelined),
/// cut into pieces of a size the first input byte sets. Parsed in pieces
/// or whole, the parser finds the same requests and errors, nothing
/// follows a protocol error, and a connection fed the same pieces writes
/// only whole, well-formed replies, never more than one per request.
enum RedisRequestFuzzing: FuzzTarget {
    static func check(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let pieceBytes = Int(input.byte()) + 1
        let stream = input.rest()

        var whole = RequestParser()
        let expected = whole.parse(stream)
        var pieces = RequestParser()
        var found: [RequestParser.Event] = []
        var connection = RedisConnection(id: 1)
        var written: [UInt8] = []
        var closed = false
        var offset = 0
        while offset < stream.count {
            let end = min(offset + pieceBytes, stream.count)
            found += pieces.parse(stream[offset..<end])
            if !closed {
                let output = connection.onBytes(stream[offset..<end])
                written += output.bytes
                closed = output.closes
            }
            offset = end
        }
        precondition(found == expected, "pieces and the whole stream parse differently")
        if let error = expected.firstIndex(where: { if case .protocolError = $0 { true } else { false } }) {
            precondition(error == expected.count - 1, "an event follows a protocol error")
        }
        for case .request(let arguments) in expected {
            precondition(!arguments.isEmpty, "an empty request")
        }
        let replies: [RESPValue]
        do {
            replies = try RESPReplyParser.parseAll(written)
        } catch {
            preconditionFailure("the connection wrote malformed replies: \(error)")
        }
        precondition(replies.count <= expected.count, "more replies than requests")
    }

    static func seeds() throws -> [[UInt8]] {
        func multibulk(_ words: [String]) -> [UInt8] {
            Array("*\(words.count)\r\n".utf8) + words.flatMap { Array("$\($0.utf8.count)\r\n\($0)\r\n".utf8) }
        }
        return [
            [0] + multibulk(["SET", "key", "value"]) + multibulk(["GET", "key"]),
            [3] + Array("PING\r\nECHO \"a\\x41\\n\" 'it\\'s'\r\nHELLO 3\r\n".utf8),
            [255] + multibulk(["CONCORD.WITH", "R", "1", "W", "ALL", "GET", "k"]) + multibulk(["CLIENT", "SETNAME", "x"]),
            [1] + multibulk(["MSET", "a", "1", "b", "2"]) + Array("*1\r\n$x\r\nPING\r\n".utf8),
            [7] + Array("SET a \"unbalanced\r\n".utf8),
        ]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    RedisRequestFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    RedisRequestFuzzing.initialize()
}
