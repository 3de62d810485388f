import ConcordDynamo
import PropertyBased
import Testing

@testable import ConcordRedis

@Suite struct RequestParserPropertyTests {
    private static func multibulk(_ request: [[UInt8]]) -> [UInt8] {
        Array("*\(request.count)\r\n".utf8) + request.flatMap { Array("$\($0.count)\r\n".utf8) + $0 + [13, 10] }
    }

    @Test("any pipeline of multibulk requests, cut into pieces of any size, parses back to its requests")
    func multibulkPipelinesRoundTrip() async {
        let requests = Gen.uint8().array(of: 0...12).array(of: 1...5).array(of: 1...6)
        await propertyCheck(count: 300, input: zip(requests, Gen.int(in: 1...40))) { requests, pieceBytes in
            let stream = requests.flatMap(Self.multibulk)
            var parser = RequestParser()
            var events: [RequestParser.Event] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + pieceBytes, stream.count)
                events += parser.parse(stream[offset..<end])
                offset = end
            }
            #expect(events == requests.map { .request($0.map(ByteString.init)) })
            #expect(parser.bufferedCount == 0)
        }
    }

    @Test("inline words of plain characters split on blanks")
    func inlineWordsSplit() async {
        let letters = Gen.uint8(in: UInt8(ascii: "a")...UInt8(ascii: "z"))
        let words = letters.array(of: 1...8).array(of: 1...6)
        let blanks = Gen.int(in: 1...3)
        await propertyCheck(count: 300, input: zip(words, blanks)) { words, blanks in
            let separator = Array(repeating: UInt8(ascii: " "), count: blanks)
            var line: [UInt8] = []
            for (index, word) in words.enumerated() {
                if index > 0 { line += separator }
                line += word
            }
            var parser = RequestParser()
            #expect(parser.parse(line + [13, 10]) == [.request(words.map(ByteString.init))])
        }
    }

    @Test("garbage parses the same whole or in pieces, and nothing follows a protocol error")
    func garbageIsConsistent() async {
        let alphabet: [UInt8] = Array("*$\r\n0123-\"' \\xaZ".utf8)
        let garbage = Gen.int(in: 0...(alphabet.count - 1)).map { alphabet[$0] }.array(of: 0...60)
        await propertyCheck(count: 500, input: zip(garbage, Gen.int(in: 1...7))) { bytes, pieceBytes in
            var whole = RequestParser()
            let expected = whole.parse(bytes)
            var pieces = RequestParser()
            var found: [RequestParser.Event] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + pieceBytes, bytes.count)
                found += pieces.parse(bytes[offset..<end])
                offset = end
            }
            #expect(found == expected)
            if let error = expected.firstIndex(where: { if case .protocolError = $0 { true } else { false } }) {
                #expect(error == expected.count - 1)
            }
        }
    }
}
