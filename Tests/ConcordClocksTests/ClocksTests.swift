import Testing
@testable import ConcordClocks
