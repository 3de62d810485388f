import Testing
@testable import ConcordChecker
