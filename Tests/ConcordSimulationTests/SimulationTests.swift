import Testing
@testable import ConcordSimulation
