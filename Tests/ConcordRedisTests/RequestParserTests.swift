import ConcordDynamo
import Testing

@testable import ConcordRedis

@Suite struct RequestParserTests {
    private func events(_ input: String, limits: RequestParser.Limits = RequestParser.Limits()) -> [RequestParser.Event] {
        var parser = RequestParser(limits: limits)
        return parser.parse(Array(input.utf8))
    }

    private func request(_ arguments: ByteString...) -> RequestParser.Event { .request(arguments) }
    private func protocolError(_ message: String) -> RequestParser.Event { .protocolError("ERR Protocol error: " + message) }

    @Test func aMultibulkRequestIsReadWhole() {
        #expect(events("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n") == [request("SET", "k", "hello")])
    }

    @Test func bulkStringsAreBinarySafe() {
        var parser = RequestParser()
        let bytes: [UInt8] = Array("*2\r\n$3\r\nGET\r\n$4\r\n".utf8) + [0, 13, 10, 255] + [13, 10]
        #expect(parser.parse(bytes) == [.request(["GET", ByteString([0, 13, 10, 255])])])
    }

    @Test func pipelinedRequestsInOneBufferComeOutInOrder() {
        let input = "*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n\r\nPING\n"
        #expect(events(input) == [request("PING"), request("ECHO", "hi"), request("GET", "a"), request("PING")])
    }

    @Test func aRequestSplitAtEveryByteIsReadOnceComplete() {
        let input = Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\nSET a \"b c\"\r\n".utf8)
        var parser = RequestParser()
        var seen: [RequestParser.Event] = []
        for byte in input {
            parser.append([byte])
            while let event = parser.next() { seen.append(event) }
        }
        #expect(seen == [request("SET", "key", "0123456789"), request("SET", "a", "b c")])
        #expect(parser.bufferedCount == 0)
    }

    @Test func everySplitPointGivesTheSameRequests() {
        let input = Array("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING x\r\n*1\r\n$4\r\nPING\r\n".utf8)
        let whole = { () -> [RequestParser.Event] in
            var parser = RequestParser()
            return parser.parse(input)
        }()
        #expect(whole.count == 3)
        for cut in 0...input.count {
            var parser = RequestParser()
            let events = parser.parse(input[..<cut]) + parser.parse(input[cut...])
            #expect(events == whole, "split at \(cut)")
        }
    }

    @Test func zeroAndNegativeMultibulkCountsAndEmptyLinesAreSkipped() {
        #expect(events("*0\r\n*-1\r\n\r\n   \r\nPING\r\n") == [request("PING")])
    }

    @Test func inlineQuotingFollowsRedis() {
        #expect(events("SET k \"a\\x41\\n\\\"q\\\"\"\r\n") == [request("SET", "k", ByteString(Array("aA\n\"q\"".utf8)))])
        #expect(events("SET k 'it\\'s'\r\n") == [request("SET", "k", "it's")])
        #expect(events("SET k 'no\\nescape'\r\n") == [request("SET", "k", "no\\nescape")])
        #expect(events("a\"b c\"  d\t e\n") == [request("ab c", "d", "e")])
        #expect(events("SET k \"\"\r\n") == [request("SET", "k", "")])
        #expect(events("PING\0ignored\r\n") == [request("PING")])
    }

    @Test func unbalancedQuotesAreAProtocolError() {
        let error = protocolError("unbalanced quotes in request")
        #expect(events("SET a \"foo\r\n") == [error])
        #expect(events("SET a \"foo\"bar\r\n") == [error])
        #expect(events("SET a 'foo\r\n") == [error])
        #expect(events("SET a 'foo'bar\r\n") == [error])
    }

    @Test func badMultibulkCountsAreProtocolErrors() {
        let error = protocolError("invalid multibulk length")
        #expect(events("*x\r\n") == [error])
        #expect(events("*\r\n") == [error])
        #expect(events("*01\r\n") == [error])
        #expect(events("*+1\r\n") == [error])
        #expect(events("*1048577\r\n") == [error])
        #expect(events("*99999999999999999999999\r\n") == [error])
        var limits = RequestParser.Limits()
        limits.multibulkCountMax = 2
        #expect(events("*3\r\n", limits: limits) == [error])
        #expect(events("*2\r\n$1\r\na\r\n$1\r\nb\r\n", limits: limits) == [request("a", "b")])
    }

    @Test func badBulkHeadersAreProtocolErrors() {
        #expect(events("*1\r\n:3\r\n") == [protocolError("expected '$', got ':'")])
        #expect(events("*2\r\n$3\r\nGET\r\nx\r\n") == [protocolError("expected '$', got 'x'")])
        #expect(events("*1\r\n$-1\r\n") == [protocolError("invalid bulk length")])
        #expect(events("*1\r\n$abc\r\n") == [protocolError("invalid bulk length")])
        #expect(events("*1\r\n$536870913\r\n") == [protocolError("invalid bulk length")])
        #expect(events("*1\r\n$536870912\r\n") == [], "exactly the limit is accepted (and waited for)")
        var limits = RequestParser.Limits()
        limits.bulkBytesMax = 4
        #expect(events("*1\r\n$5\r\nhello\r\n", limits: limits) == [protocolError("invalid bulk length")])
        #expect(events("*1\r\n$4\r\nhell\r\n", limits: limits) == [request("hell")])
    }

    @Test func overlongLinesWithoutAnEndAreProtocolErrors() {
        let long = String(repeating: "a", count: 64 * 1024 + 1)
        #expect(events(long) == [protocolError("too big inline request")])
        #expect(events(String(repeating: "a", count: 64 * 1024)) == [], "at the limit it waits")
        #expect(events("*" + long) == [protocolError("too big mbulk count string")])
        #expect(events("*1\r\n$" + long) == [protocolError("too big bulk count string")])
        #expect(events(long + "\r\n").count == 1, "a long line that has its end is a request")
    }

    @Test func requestsBeforeAProtocolErrorAreKeptAndNothingAfterIt() {
        var parser = RequestParser()
        let events = parser.parse(Array("PING\r\n*1\r\n$x\r\nPING\r\n".utf8))
        #expect(events == [request("PING"), protocolError("invalid bulk length")])
        #expect(parser.failed)
        #expect(parser.parse(Array("PING\r\n".utf8)) == [])
    }

    @Test func theBytesAfterABulkStringAreSkippedUnchecked() {
        #expect(events("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n") == [request("PING"), request("PING")])
    }
}
