import Testing
@testable import ConcordTransactions
