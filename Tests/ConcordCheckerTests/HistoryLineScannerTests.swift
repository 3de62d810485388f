import ConcordFoundation
import Foundation
import Testing
@testable import ConcordChecker

/// The line scanner is a shortcut past `JSONDecoder`: whenever it reads an
/// event, the decoder must read the same event from the same line.
@Suite struct HistoryLineScannerTests {
    private func scanned(_ line: String) -> HistoryEvent? {
        Array(line.utf8).withUnsafeBufferPointer { HistoryLineScanner.event($0) }
    }

    /// The decoder's reading of a line: the event, or nil if it rejects it.
    private func decoded(_ line: String) -> HistoryEvent? {
        guard case .success(let event?) = History.decodeLine(line, number: 1) else { return nil }
        return event
    }

    @Test func readsEveryLineOfWrittenHistoriesAsTheDecoderDoes() throws {
        let shape = RandomKVHistory.Shape(operations: 300, keys: 4, processes: 6, infoPerMille: 50)
        var events = RandomKVHistory.events(shape, seed: 11)
        events.append(HistoryEvent(process: 99, kind: .invoke, function: .put, key: "a \"quoted\"\nkey/é", value: "tab\there \\ \u{1} 😀 \u{7F}", time: Int64.max))
        events.append(HistoryEvent(process: 100, kind: .invoke, function: .cas, key: "", value: "", expected: nil, time: Int64.max))
        let lines = try History(events).jsonLines.split(separator: "\n").map(String.init)
        #expect(lines.count == events.count)
        for (line, event) in zip(lines, events) {
            #expect(scanned(line) == event, "\(line)")
            #expect(decoded(line) == event, "\(line)")
        }
    }

    @Test func unusualLinesAreReadAsTheDecoderReadsThemOrLeftToIt() {
        let lines: [(line: String, scans: Bool)] = [
            (#"  { "time" : -5 , "key":"x", "f":"get","type":"invoke","process":-3 }  "#, true),
            (#"{"process":0,"type":"invoke","f":"put","key":"\u00e9\ud83d\ude00\/\b\f\r\t","value":"1","time":0,"extra":"\"x\"","n":-12,"t":true,"u":false,"z":null}"#, true),
            (#"{"process":0,"type":"ok","f":"get","key":"x","value":null,"time":9223372036854775807}"#, true),
            (#"{"process":0,"type":"ok","f":"get","key":"x","value":null,"time":-9223372036854775808}"#, true),
            (#"{"process":0,"type":"ok","f":"get","key":"x","value":null,"time":9223372036854775808}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":0,"nested":{"a":[1,2]}}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":1.0}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":1e3}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":01}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":0,"time":1}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"\ud800","time":0}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"\udc00x","time":0}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","k\u0065y":"x","time":0}"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":0}x"#, false),
            (#"{"process":0,"type":"invoke","f":"get","key":"x","time":0,}"#, false),
            (#"{"process":0,"type":"ok","f":"get","key":"x","time":0}"#, false),
            (#"{"process":0,"type":"invoke","f":"cas","key":"x","value":"1","time":0}"#, false),
            (#"{"process":null,"type":"invoke","f":"get","key":"x","time":0}"#, false),
            (#"{"process":0,"type":"begin","f":"get","key":"x","time":0}"#, false),
            (#"[1,2]"#, false),
            (#"{}"#, false),
            ("{\"process\":0,\"type\":\"invoke\",\"f\":\"get\",\"key\":\"a\u{1}b\",\"time\":0}", false),
        ]
        for (line, scans) in lines {
            let event = scanned(line)
            #expect((event != nil) == scans, "\(line)")
            if let event { #expect(decoded(line) == event, "\(line)") }
        }
    }

    @Test func neverReadsALineOtherwiseThanTheDecoder() throws {
        let shape = RandomKVHistory.Shape(operations: 200, keys: 3, processes: 4, infoPerMille: 100)
        let lines = try History(RandomKVHistory.events(shape, seed: 3)).jsonLines.split(separator: "\n").map { Array(String($0)) }
        let alphabet: [Character] = [" ", "\"", "\\", ",", ":", "{", "}", "[", "0", "9", "-", "+", ".", "e", "E", "n", "u", "l", "t", "/", "\t", "\r", "\u{1}", "é", "😀"]
        var random = SplitMix64(seed: 2026)
        var bothRead = 0
        var bothRejected = 0
        var leftToDecoder = 0
        for _ in 0..<20_000 {
            var line = lines[Int(random.next() % UInt64(lines.count))]
            for _ in 0...(random.next() % 2) {
                let at = Int(random.next() % UInt64(line.count))
                let character = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: line.remove(at: at)
                case 1: line.insert(character, at: at)
                default: line[at] = character
                }
            }
            let text = String(line)
            let reference = decoded(text)
            if let event = scanned(text) {
                #expect(reference == event, "\(text)")
                bothRead += 1
            } else if reference == nil {
                bothRejected += 1
            } else {
                leftToDecoder += 1
            }
        }
        #expect(bothRead > 1_000 && bothRejected > 1_000, "\(bothRead) read by both, \(bothRejected) rejected by both, \(leftToDecoder) left to the decoder")
    }

    @Test func wholeFilesParseAsLineByLineDecoding() throws {
        let shape = RandomKVHistory.Shape(operations: 500, keys: 5, processes: 8, infoPerMille: 30)
        let events = RandomKVHistory.events(shape, seed: 9)
        let text = try History(events).jsonLines
        #expect(try History.parseJSONLines(text).events == events)
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try History.parseJSONLines(crlf).events == events)
        let spaced = "\n  \t\n" + text.split(separator: "\n").joined(separator: "\n\u{A0}\n") + "\n\n"
        #expect(try History.parseJSONLines(spaced).events == events)
    }
}
