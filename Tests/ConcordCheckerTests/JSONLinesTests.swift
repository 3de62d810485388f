import Testing
import ConcordChecker

@Suite struct JSONLinesTests {
    @Test func parsesTheDocumentedFormat() throws {
        let text = """
        {"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}
        {"process":1,"type":"invoke","f":"get","key":"x","time":1}
        {"process":0,"type":"ok","f":"put","key":"x","value":"1","time":7}

        {"process":1,"type":"ok","f":"get","key":"x","value":null,"time":8}
        {"process":2,"type":"invoke","f":"cas","key":"x","expected":"1","value":"2","time":9}
        {"process":2,"type":"fail","f":"cas","key":"x","expected":"1","value":"2","time":10}
        {"process":3,"type":"invoke","f":"delete","key":"y","time":11}
        {"process":3,"type":"info","f":"delete","key":"y","time":12}
        """
        let history = try History.parseJSONLines(text)
        #expect(history.events.count == 8)
        #expect(history.events[4] == HistoryEvent(process: 2, kind: .invoke, function: .cas, key: "x", value: "2", expected: "1", time: 9))
        #expect(history.operations.map(\.outcome) == [.ok, .ok, .fail, .info])
        #expect(history.operations[1].result == nil)
        #expect(checkLinearizability(history, budget: .steps(1_000)) == .linearizable)
    }

    @Test func writesWhatItReads() throws {
        let shape = RandomKVHistory.Shape(operations: 200, keys: 3, processes: 5, infoPerMille: 50)
        let history = try History(RandomKVHistory.events(shape, seed: 4))
        #expect(try History.parseJSONLines(history.jsonLines).events == history.events)
        let awkward = try History([
            HistoryEvent(process: 0, kind: .invoke, function: .put, key: "a \"quoted\"\nkey", value: "tab\there \\ \u{1}", time: 0),
        ])
        #expect(try History.parseJSONLines(awkward.jsonLines).events == awkward.events)
    }

    private func error(_ text: String) -> HistoryError? {
        do {
            _ = try History.parseJSONLines(text)
            return nil
        } catch {
            return error
        }
    }

    private let invoke = #"{"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}"#

    @Test func malformedJSONNamesTheLine() {
        let failure = error(invoke + "\n{\"process\":0,\"type\":")
        #expect(failure == .invalidLine(line: 2, reason: "not valid JSON"))
    }

    @Test func nonObjectLineIsRejected() {
        #expect(error("[1,2]") == .invalidLine(line: 1, reason: "an event must be a JSON object"))
    }

    @Test func missingFieldsAreNamed() {
        #expect(error(#"{"process":0,"type":"invoke","f":"put","key":"x","value":"1"}"#) == .invalidLine(line: 1, reason: "missing field \"time\""))
        #expect(error(#"{"type":"invoke","f":"put","key":"x","value":"1","time":0}"#) == .invalidLine(line: 1, reason: "missing field \"process\""))
        #expect(error(invoke + "\n" + #"{"process":0,"type":"ok","f":"get","key":"x","time":1}"#)?.line == 2)
        #expect(error(#"{"process":0,"type":"invoke","f":"cas","key":"x","value":"1","time":0}"#)?.description.contains("missing field \"expected\"") == true)
    }

    @Test func wrongTypesAndValuesAreRejected() {
        #expect(error(#"{"process":"zero","type":"invoke","f":"put","key":"x","value":"1","time":0}"#) == .invalidLine(line: 1, reason: "field \"process\" must be an integer"))
        #expect(error(#"{"process":0,"type":"invoke","f":"put","key":"x","value":1,"time":0}"#) == .invalidLine(line: 1, reason: "field \"value\" must be a string"))
        #expect(error(#"{"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":1.5}"#)?.line == 1)
        #expect(error(#"{"process":0,"type":"start","f":"put","key":"x","value":"1","time":0}"#)?.description.contains("field \"type\" is \"start\"") == true)
        #expect(error(#"{"process":0,"type":"invoke","f":"append","key":"x","value":"1","time":0}"#)?.description.contains("field \"f\" is \"append\"") == true)
        #expect(error(#"{"process":0,"type":"invoke","f":"put","key":null,"value":"1","time":0}"#) == .invalidLine(line: 1, reason: "field \"key\" must not be null"))
    }

    @Test func historyRulesNameTheLine() {
        let completion = #"{"process":0,"type":"ok","f":"put","key":"x","value":"1","time":5}"#
        #expect(error("\n" + completion) == .invalidEvent(index: 0, line: 2, problem: .completionWithoutInvoke(process: 0)))
        let second = #"{"process":0,"type":"invoke","f":"get","key":"x","time":1}"#
        #expect(error(invoke + "\n" + second) == .invalidEvent(index: 1, line: 2, problem: .operationAlreadyOpen(process: 0, openInvokeIndex: 0)))
        let early = #"{"process":1,"type":"invoke","f":"get","key":"x","time":-1}"#
        #expect(error(invoke + "\n\n" + early) == .invalidEvent(index: 1, line: 3, problem: .timeWentBackwards(time: -1, previousTime: 0)))
        #expect(error(#"{"process":0,"type":"invoke","f":"put","key":"x","time":0}"#) == .invalidEvent(index: 0, line: 1, problem: .missingArgument(function: .put, argument: "value")))
    }
}
