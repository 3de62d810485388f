import Testing
@testable import ConcordRaft

/// The log-entry encoding of `ConfigurationChange`, with and without the
/// application's context.
@Suite struct ConfigurationChangeEncodingTests {
    @Test func aChangeWithoutContextKeepsTheFirstFormatByteForByte() throws {
        let change = ConfigurationChange([.init(.addVoter, 0x0102_0304_0506_0708)], transition: .explicit)
        let bytes = change.encoded()
        #expect(bytes == [1, 1, 1, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(try ConfigurationChange(decoding: bytes) == change)
    }

    @Test func aChangeWithContextRoundTrips() throws {
        let change = ConfigurationChange(
            [.init(.addLearner, 7), .init(.remove, 9)], context: Array("member n4".utf8))
        let bytes = change.encoded()
        #expect(bytes[0] == 2)
        let decoded = try ConfigurationChange(decoding: bytes)
        #expect(decoded == change)
        #expect(decoded.context == Array("member n4".utf8))
    }

    @Test func everyTruncationOrExtensionOfAnEncodedChangeIsRefused() throws {
        for change in [
            ConfigurationChange([.init(.addVoter, 4)]),
            ConfigurationChange([.init(.addVoter, 4)], context: [1, 2, 3]),
        ] {
            let bytes = change.encoded()
            for length in 0..<bytes.count {
                #expect(throws: ConfigurationChangeError.malformedEncoding) {
                    try ConfigurationChange(decoding: Array(bytes.prefix(length)))
                }
            }
            #expect(throws: ConfigurationChangeError.malformedEncoding) { try ConfigurationChange(decoding: bytes + [0]) }
        }
    }

    @Test func anEmptyOrOversizedContextAndAnUnknownFormatAreRefused() {
        // Format 2 with a zero-length context: encoded() never writes it.
        #expect(throws: ConfigurationChangeError.malformedEncoding) {
            try ConfigurationChange(decoding: [2, 0, 0, 0, 0, 0, 0])
        }
        let tooLong = ConfigurationChange.contextBytesMax + 1
        var oversized: [UInt8] = [2, 0, 0]
        withUnsafeBytes(of: UInt32(tooLong).littleEndian) { oversized.append(contentsOf: $0) }
        oversized += [UInt8](repeating: 0, count: tooLong)
        #expect(throws: ConfigurationChangeError.malformedEncoding) { try ConfigurationChange(decoding: oversized) }
        #expect(throws: ConfigurationChangeError.malformedEncoding) { try ConfigurationChange(decoding: [3, 0, 0]) }
    }

    @Test func aProposedChangeCarriesItsContextToEveryReplica() throws {
        var cluster = TestCluster(voters: [1, 2, 3], extra: [4])
        cluster.campaign(1)
        let change = ConfigurationChange([.init(.addVoter, 4)], context: Array("n4".utf8))
        cluster.handle(1, try cluster.nodes[1]!.proposeConfigurationChange(change))
        cluster.deliver()
        cluster.run(rounds: 3)
        for id: MemberID in [1, 2, 3, 4] {
            let entries = (1...cluster.nodes[id]!.lastIndex).compactMap { cluster.nodes[id]!.entry(at: $0) }
            let carried = entries.filter { $0.kind == .configurationChange }.compactMap { try? ConfigurationChange(decoding: $0.data) }
            #expect(carried.contains(change), "replica \(id)")
            #expect(cluster.nodes[id]!.membership.voters == [1, 2, 3, 4])
        }
    }
}
