#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fuzz target: a parser (or decoder, or recovery path) that must take
/// any bytes without crashing, and valid inputs that start its corpus.
///
/// A target is one file in `Fuzz/Sources/fuzz-NAME/` that declares a type
/// conforming to `FuzzTarget` and the two entry points libFuzzer calls:
///
/// ```swift
/// @_cdecl("LLVMFuzzerTestOneInput")
/// public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
///     MyParserFuzzing.testOneInput(data, count)
/// }
///
/// @_cdecl("LLVMFuzzerInitialize")
/// public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
///     MyParserFuzzing.initialize()
/// }
/// ```
public protocol FuzzTarget {
    /// Feeds `bytes` to the code under test. Refusing bad input with an
    /// error is the expected outcome; a trap, a sanitizer report, or a
    /// broken invariant checked here with `precondition` is a finding.
    static func check(_ bytes: [UInt8])

    /// Valid inputs, written to `Fuzz/Corpus/NAME/` by `Fuzz/fuzz.sh seeds`.
    static func seeds() throws -> [[UInt8]]
}

extension FuzzTarget {
    /// libFuzzer's `LLVMFuzzerTestOneInput`: runs ``check(_:)``.
    public static func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        check(count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    }

    /// libFuzzer's `LLVMFuzzerInitialize`: when `CONCORD_FUZZ_WRITE_SEEDS`
    /// names a directory, writes the seeds there (`seed-000`, `seed-001`,
    /// …) and exits instead of fuzzing.
    public static func initialize() -> CInt {
        guard let directory = getenv("CONCORD_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
        do {
            for (number, seed) in try seeds().enumerated() {
                let name = "seed-" + String("00\(number)".suffix(3))
                try FuzzFiles.write(seed, to: directory + "/" + name)
                check(seed)
            }
            exit(0)
        } catch {
            FuzzFiles.report("cannot write the seeds to \(directory): \(error)")
            exit(1)
        }
    }
}
