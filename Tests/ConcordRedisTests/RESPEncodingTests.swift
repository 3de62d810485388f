import Testing

@testable import ConcordRedis

@Suite struct RESPEncodingTests {
    private func text(_ value: RESPValue, _ version: RESPVersion) -> String {
        String(decoding: value.encoded(for: version), as: UTF8.self)
    }

    @Test func scalarsRenderAsRedisWritesThem() {
        #expect(text(.ok, .resp2) == "+OK\r\n")
        #expect(text(.error("ERR syntax error"), .resp2) == "-ERR syntax error\r\n")
        #expect(text(.integer(-42), .resp3) == ":-42\r\n")
        #expect(text(.bulk("hello"), .resp2) == "$5\r\nhello\r\n")
        #expect(text(.bulkString([]), .resp2) == "$0\r\n\r\n")
        #expect(text(.array([.integer(1), .bulk("a")]), .resp2) == "*2\r\n:1\r\n$1\r\na\r\n")
        #expect(text(.array([]), .resp2) == "*0\r\n")
    }

    @Test func nullIsDollarMinusOneOrStarMinusOneInResp2AndUnderscoreInResp3() {
        #expect(text(.null, .resp2) == "$-1\r\n")
        #expect(text(.nullArray, .resp2) == "*-1\r\n")
        #expect(text(.null, .resp3) == "_\r\n")
        #expect(text(.nullArray, .resp3) == "_\r\n")
    }

    @Test func resp3TypesDowngradeInResp2() {
        let map = RESPValue.map([RESPPair(.bulk("proto"), .integer(2)), RESPPair(.bulk("id"), .integer(7))])
        #expect(text(map, .resp3) == "%2\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:7\r\n")
        #expect(text(map, .resp2) == "*4\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:7\r\n")
        #expect(text(.set([.bulk("a")]), .resp3) == "~1\r\n$1\r\na\r\n")
        #expect(text(.set([.bulk("a")]), .resp2) == "*1\r\n$1\r\na\r\n")
        #expect(text(.boolean(true), .resp3) == "#t\r\n")
        #expect(text(.boolean(false), .resp2) == ":0\r\n")
        #expect(text(.double(1.5), .resp3) == ",1.5\r\n")
        #expect(text(.double(3), .resp3) == ",3\r\n")
        #expect(text(.double(-.infinity), .resp3) == ",-inf\r\n")
        #expect(text(.double(1.5), .resp2) == "$3\r\n1.5\r\n")
        #expect(text(.bigNumber("3492890328409238509324850943850943825024385"), .resp3)
            == "(3492890328409238509324850943850943825024385\r\n")
        #expect(text(.bigNumber("12"), .resp2) == "$2\r\n12\r\n")
        #expect(text(.verbatim(format: "txt", text: Array("Some string".utf8)), .resp3) == "=15\r\ntxt:Some string\r\n")
        #expect(text(.verbatim(format: "txt", text: Array("Some string".utf8)), .resp2) == "$11\r\nSome string\r\n")
        #expect(text(.push([.bulk("message")]), .resp3) == ">1\r\n$7\r\nmessage\r\n")
        #expect(text(.push([.bulk("message")]), .resp2) == "*1\r\n$7\r\nmessage\r\n")
    }

    @Test func lineBreaksInStatusAndErrorLinesBecomeSpaces() {
        #expect(text(.error("ERR bad\r\nthing"), .resp2) == "-ERR bad  thing\r\n")
        #expect(text(.simpleString("a\nb"), .resp3) == "+a b\r\n")
    }

    @Test func everyValueRoundTripsThroughTheReplyParserInResp3() throws {
        let values: [RESPValue] = [
            .ok, .error("WRONGTYPE Operation against a key holding the wrong kind of value"), .integer(Int64.min),
            .integer(Int64.max), .bulkString([0, 13, 10, 255]), .null, .array([.array([]), .null, .integer(0)]),
            .map([RESPPair(.bulk("k"), .set([.bulk("x"), .boolean(true)]))]), .double(-0.25), .double(.infinity),
            .bigNumber("-123456789012345678901234567890"), .verbatim(format: "mkd", text: Array("# title".utf8)),
            .push([.bulk("pubsub"), .integer(1)]), .boolean(false),
        ]
        let bytes = values.flatMap { $0.encoded(for: .resp3) }
        #expect(try RESPReplyParser.parseAll(bytes) == values)
    }

    @Test func resp2RoundTripGivesTheDowngradedValue() throws {
        let map = RESPValue.map([RESPPair(.bulk("a"), .boolean(true))])
        #expect(try RESPReplyParser.parseAll(map.encoded(for: .resp2)) == [.array([.bulk("a"), .integer(1)])])
        #expect(try RESPReplyParser.parseAll(RESPValue.nullArray.encoded(for: .resp2)) == [.nullArray])
        #expect(try RESPReplyParser.parseAll(RESPValue.double(2.5).encoded(for: .resp2)) == [.bulk("2.5")])
    }

    @Test func theReplyParserWaitsForAPartialReplyAndRefusesGarbage() throws {
        let bytes = RESPValue.array([.bulk("hello"), .integer(3)]).encoded(for: .resp2)
        for cut in 0..<bytes.count {
            var index = 0
            #expect(try RESPReplyParser.parse(Array(bytes[..<cut]), at: &index) == nil)
            #expect(index == 0)
        }
        #expect(throws: RESPReplyParser.Malformed.self) { try RESPReplyParser.parseAll(Array("?x\r\n".utf8)) }
        #expect(throws: RESPReplyParser.Malformed.self) { try RESPReplyParser.parseAll(Array(":12a\r\n".utf8)) }
    }

    @Test func aHugeDeclaredLengthWaitsForMoreInsteadOfOverflowing() throws {
        var index = 0
        #expect(try RESPReplyParser.parse(Array("$9223372036854775807\r\nabc".utf8), at: &index) == nil)
        #expect(index == 0)
        #expect(throws: RESPReplyParser.Malformed.self) {
            try RESPReplyParser.parseAll(Array("*9223372036854775807\r\n".utf8))
        }
    }
}
