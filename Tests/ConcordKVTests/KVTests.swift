import Testing
@testable import ConcordKV
