import ConcordFoundation
import ConcordClocks
import ConcordRaft
import Testing
@testable import ConcordLab

@Suite struct RaftLabTests {
    @Test func commandsRoundTripAndGarbageIsRefused() throws {
        let commands = [
            KVCommand(clientID: 7, sequence: 1, operation: .get(key: "k")),
            KVCommand(clientID: 7, sequence: 2, operation: .put(key: "k", value: "v")),
            KVCommand(clientID: 7, sequence: 3, operation: .delete(key: "k")),
            KVCommand(clientID: 7, sequence: 4, operation: .cas(key: "k", expected: nil, value: "w")),
            KVCommand(clientID: 7, sequence: 5, operation: .cas(key: "k", expected: "w", value: "x")),
        ]
        for command in commands {
            #expect(try KVCommand(decoding: command.encoded()) == command)
        }
        #expect(throws: BinaryDecodingError.truncated(offset: 0)) { try KVCommand(decoding: [1, 2, 3]) }
        var trailing = commands[1].encoded()
        trailing.append(0)
        #expect(throws: BinaryDecodingError.trailingBytes(count: 1)) { try KVCommand(decoding: trailing) }
    }

    /// Thesis §6.3: a retried command takes effect once.
    @Test func theSessionTableAppliesARetriedCommandOnce() {
        var machine = KVStateMachine()
        let put = KVCommand(clientID: 1, sequence: 1, operation: .put(key: "k", value: "a"))
        let first = machine.apply(put)
        let other = machine.apply(KVCommand(clientID: 2, sequence: 1, operation: .put(key: "k", value: "b")))
        // The retry of client 1's put returns the remembered result and does
        // not overwrite client 2's later write.
        let retried = machine.apply(put)
        #expect(first == .done && other == .done && retried == .done)
        #expect(machine.read("k") == "b")
        let cas = KVCommand(clientID: 1, sequence: 2, operation: .cas(key: "k", expected: "a", value: "c"))
        let swapped = machine.apply(cas)
        let swappedAgain = machine.apply(cas)
        #expect(swapped == .casMismatch && swappedAgain == .casMismatch)
        let stale = machine.apply(put)
        #expect(stale == nil, "an older command than the session's last is not answered")
    }

    @Test func snapshotsRestoreDataAndSessions() throws {
        var machine = KVStateMachine()
        _ = machine.apply(KVCommand(clientID: 1, sequence: 1, operation: .put(key: "a", value: "1")))
        _ = machine.apply(KVCommand(clientID: 2, sequence: 4, operation: .cas(key: "b", expected: "x", value: "2")))
        let restored = try KVStateMachine(snapshot: machine.snapshot())
        #expect(restored == machine)
        #expect(try KVStateMachine(snapshot: []) == KVStateMachine())
        #expect(throws: BinaryDecodingError.self) { try KVStateMachine(snapshot: [9]) }
    }

    @Test func theSafetyMonitorReportsTwoLeadersInATermAndDivergentApplies() {
        let monitor = RaftSafetyMonitor()
        monitor.observeLeader(1, term: 3)
        monitor.observeLeader(1, term: 3)
        #expect(monitor.violations.isEmpty)
        monitor.observeLeader(2, term: 3)
        #expect(monitor.violations.count == 1)
        monitor.observeApplied(LogEntry(index: 5, term: 2, data: [1]), by: 1)
        monitor.observeApplied(LogEntry(index: 5, term: 2, data: [1]), by: 2)
        #expect(monitor.violations.count == 1)
        monitor.observeApplied(LogEntry(index: 5, term: 3, data: [1]), by: 3)
        #expect(monitor.violations.count == 2)
    }
}
