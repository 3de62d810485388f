import ConcordRaft
import Testing

@testable import ConcordLab

@Suite struct ServerLabMonitorTests {
    @Test func theSafetyMonitorReportsTwoLeadersInATermAndDivergentApplies() {
        let monitor = ServerLabMonitor()
        monitor.leader(1, term: 3)
        monitor.leader(1, term: 3)
        #expect(monitor.violations.isEmpty)
        monitor.leader(2, term: 3)
        #expect(monitor.violations.count == 1)
        monitor.applied(LogEntry(index: 5, term: 2, data: [1]), by: 1)
        monitor.applied(LogEntry(index: 5, term: 2, data: [1]), by: 2)
        #expect(monitor.violations.count == 1)
        monitor.applied(LogEntry(index: 5, term: 3, data: [1]), by: 3)
        #expect(monitor.violations.count == 2)
    }
}
