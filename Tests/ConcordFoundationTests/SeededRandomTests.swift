import Testing
import ConcordFoundation

@Suite("SeededRandom: xoshiro256** seeded through SplitMix64")
struct SeededRandomTests {
    // Known answers computed from the published definitions of SplitMix64 and
    // xoshiro256** by an independent implementation. SplitMix64's first output
    // for seed 0 is the widely published 0xE220A8397B1DCDAF.
    @Test func splitMix64MatchesItsKnownAnswers() {
        var splitMix = SplitMix64(seed: 0)
        #expect(splitMix.next() == 0xE220_A839_7B1D_CDAF)
        #expect(splitMix.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(splitMix.next() == 0x06C4_5D18_8009_454F)
    }

    static let xoshiroKnownAnswers: [(seed: UInt64, outputs: [UInt64])] = [
        (0, [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C, 0xBBA5_AD4A_1F84_2E59]),
        (1, [0xB3F2_AF6D_0FC7_10C5, 0x853B_5596_4736_4CEA, 0x92F8_9756_082A_4514, 0x642E_1C7B_C266_A3A7, 0xB27A_48E2_9A23_3673]),
        (42, [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1, 0xFDE6_DC7F_E2EC_5E64]),
        (0xDEAD_BEEF, [0xC555_5444_A74D_7E83, 0x65C3_0D37_B4B1_6E38, 0x54F7_7320_0A4E_FA23, 0x429A_ED75_FB95_8AF7, 0xFB0E_1DD6_9C25_5B2E]),
    ]

    @Test func xoshiroMatchesItsKnownAnswers() {
        for (seed, outputs) in Self.xoshiroKnownAnswers {
            var random = SeededRandom(seed: seed)
            #expect((0..<5).map { _ in random.next() } == outputs, "seed \(seed)")
        }
    }

    @Test func boundedDrawsMatchLemiresMethodKnownAnswers() {
        var random = SeededRandom(seed: 7)
        let bounds: [UInt64] = [1, 2, 3, 10, 1_000_000, (1 << 63) + 1, 6]
        #expect(bounds.map { random.next(below: $0) } == [0, 0, 2, 9, 990_860, 1_400_256_439_129_669_809, 3])
    }

    @Test func boundedDrawsStayInRangeAndCoverItEvenly() {
        var random = SeededRandom(seed: 2026)
        let bound = 7
        let draws = 70_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<draws {
            let value = random.next(below: UInt64(bound))
            #expect(value < UInt64(bound))
            counts[Int(value)] += 1
        }
        // Chi-squared with 6 degrees of freedom; 22.46 is the 0.999 quantile,
        // so a fair generator fails this one time in a thousand seeds and this
        // fixed seed either always passes or always fails.
        let expected = Double(draws) / Double(bound)
        let chiSquared = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquared < 22.46, "counts \(counts)")
    }

    @Test func boundedDrawsAreUnbiasedWhereModuloWouldNotBe() {
        // With bound = 3·2^62, `next() % bound` would land in the lowest
        // 2^62 values twice as often as elsewhere (probability 1/2, not 1/3).
        var random = SeededRandom(seed: 99)
        let bound: UInt64 = 3 << 62
        let draws = 30_000
        let low = (0..<draws).filter { _ in random.next(below: bound) < (1 << 62) }.count
        #expect(low > draws * 30 / 100 && low < draws * 37 / 100, "\(low) of \(draws) in the lowest third")
    }

    @Test func rangeDrawsCoverBothEndsAndTheFullRange() {
        var random = SeededRandom(seed: 3)
        let values = (0..<1_000).map { _ in random.next(in: -2...2) }
        #expect(Set(values) == [-2, -1, 0, 1, 2])
        _ = random.next(in: Int64.min...Int64.max)
        #expect(random.next(in: 5...5) == 5)
    }

    @Test func chanceIsNeverAtZeroAndAlwaysAtAMillion() {
        var random = SeededRandom(seed: 4)
        #expect((0..<1_000).allSatisfy { _ in !random.chance(perMillion: 0) })
        #expect((0..<1_000).allSatisfy { _ in random.chance(perMillion: 1_000_000) })
        let hits = (0..<100_000).filter { _ in random.chance(perMillion: 250_000) }.count
        #expect(hits > 24_000 && hits < 26_000)
    }

    @Test func splitStreamsDifferFromTheirParent() {
        var parent = SeededRandom(seed: 5)
        var child = parent.split()
        let parentDraws = (0..<4).map { _ in parent.next() }
        let childDraws = (0..<4).map { _ in child.next() }
        #expect(parentDraws != childDraws)
    }

    @Test func sameSeedGivesSameStream() {
        var first = SeededRandom(seed: 11)
        var second = SeededRandom(seed: 11)
        #expect((0..<100).map { _ in first.next(below: 1_000) } == (0..<100).map { _ in second.next(below: 1_000) })
    }
}
