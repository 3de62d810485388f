import Testing
import ConcordSimulation

@Suite("Virtual time")
struct SimulationTimeTests {
    @Test func instantsPrintAsSecondsWithMicroseconds() {
        #expect(SimulationInstant.zero.description == "0.000000")
        #expect((SimulationInstant.zero + .milliseconds(4)).description == "0.004000")
        #expect((SimulationInstant.zero + .milliseconds(1_250)).description == "1.250000")
        #expect((SimulationInstant.zero + .nanoseconds(12_345_678_901_999)).description == "12345.678901")
        #expect((SimulationInstant.zero - .milliseconds(200)).description == "-0.200000")
        #expect(SimulationInstant(nanoseconds: .min).description == "-9223372036.854775")
        #expect(SimulationDuration.seconds(3).description == "3.000000")
    }

    @Test func arithmeticAndOrderingFollowNanoseconds() {
        let start = SimulationInstant.zero + .seconds(1)
        let later = start + .milliseconds(5)
        #expect(later - start == .milliseconds(5))
        #expect(start < later)
        #expect(SimulationDuration.microseconds(3) * 4 == .microseconds(12))
        #expect(-SimulationDuration.seconds(1) < .zero)
    }
}
