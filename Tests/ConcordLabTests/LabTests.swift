import Testing
@testable import ConcordLab
