import Testing
@testable import ConcordRaft
