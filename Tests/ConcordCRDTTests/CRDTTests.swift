import Testing
@testable import ConcordCRDT
