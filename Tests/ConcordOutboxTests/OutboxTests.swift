import Testing
@testable import ConcordOutbox
