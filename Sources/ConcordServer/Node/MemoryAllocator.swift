import CMalloc
import Foundation

/// How `concord server` sets up the C allocator (glibc's malloc), and what it
/// reports of it.
///
/// A server's memory should follow what it holds. With glibc's defaults it
/// does not: after a large block is freed, the threshold above which blocks
/// get their own mapping rises (up to 32 MiB) and the threshold for giving
/// an arena's free top back to the system rises with it (to twice that), so
/// later snapshot buffers, segment indexes and peer batches are carved from
/// the arenas (up to eight per core, one per contending thread) and what is
/// freed there stays resident. In a ten-minute soak (docs/benchmarks.md) a
/// member's live heap stayed under 25 MiB while its resident size rose past
/// 90 MiB and kept rising. A fixed mmap threshold keeps the resident size
/// near the live heap: a block of 256 KiB or more is mapped on its own and
/// unmapped when freed, and arenas give back their free tops again. The
/// arena count is left to glibc: capping it at 2 flattened memory no better
/// and cost about a tenth of the linearizable range throughput at 64
/// clients (the threads then wait on each other's arena locks).
///
/// An operator's own choice wins: the threshold is left alone when
/// `MALLOC_MMAP_THRESHOLD_` is set or `GLIBC_TUNABLES` names
/// `glibc.malloc.mmap_threshold`.
public enum MemoryAllocator {
    /// One allocator setting: a `mallopt` option and its value.
    public struct Setting: Sendable, Hashable, CustomStringConvertible {
        /// The name of the environment variable that sets the same thing.
        public let name: String
        /// The `mallopt` option.
        public let option: Int32
        /// Its value.
        public let value: Int32

        public var description: String { "\(name)=\(value)" }
    }

    /// Blocks of this size or more get their own mapping.
    public static let mmapThresholdBytes: Int32 = 256 * 1024

    /// The settings to apply in a process with `environment`: those the
    /// operator did not choose.
    public static func settings(environment: [String: String]) -> [Setting] {
        let tunables = environment["GLIBC_TUNABLES"] ?? ""
        func chosen(_ variable: String, _ tunable: String) -> Bool {
            environment[variable] != nil || tunables.contains(tunable)
        }
        var settings: [Setting] = []
        if !chosen("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold") {
            settings.append(Setting(name: "MALLOC_MMAP_THRESHOLD_", option: M_MMAP_THRESHOLD, value: mmapThresholdBytes))
        }
        return settings
    }

    /// Applies `settings(environment:)` to this process's allocator; call it
    /// first thing, before threads start.
    /// - Returns: the settings applied (glibc accepted each).
    @discardableResult
    public static func configure(environment: [String: String]) -> [Setting] {
        settings(environment: environment).filter { mallopt($0.option, $0.value) == 1 }
    }

    /// How often a running server gives free pages back (``trim()``).
    public static let trimIntervalSeconds = 30

    /// Gives the system back every whole free page inside the arenas, not
    /// only their free tops (`malloc_trim(0)`, which also advises the kernel
    /// to drop the free pages between blocks still in use). Freed small
    /// blocks (log entries between snapshots, peer batches, request
    /// buffers) otherwise keep their pages resident wherever a block still
    /// in use sits after them: in a 20-minute soak the allocator's in-use
    /// figure stayed a saw-tooth below 23 MiB while what it held crept up
    /// by about 0.3 MiB a minute. A server calls this every
    /// ``trimIntervalSeconds``, as a garbage-collected runtime's scavenger
    /// returns idle memory; it walks the arenas under their locks, which
    /// takes a few milliseconds at a server's size.
    /// - Returns: whether any memory was given back.
    @discardableResult
    public static func trim() -> Bool {
        malloc_trim(0) == 1
    }

    /// What the allocator holds, from `mallinfo2`.
    public struct Statistics: Sendable, Hashable {
        /// Bytes handed out and not yet freed.
        public var inUseBytes: Int
        /// Bytes the allocator has from the system (arenas and own mappings),
        /// in use or not.
        public var heldBytes: Int
    }

    /// The allocator's figures now. Walks every arena under its lock: for a
    /// scrape, not for a hot path.
    public static func statistics() -> Statistics {
        let info = mallinfo2()
        return Statistics(inUseBytes: Int(info.uordblks + info.hblkhd), heldBytes: Int(info.arena + info.hblkhd))
    }

    /// This process's resident set size in bytes, from `/proc/self/statm`;
    /// nil where that file is missing.
    public static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// How many file descriptors this process has open, from `/proc/self/fd`;
    /// nil where that directory is missing.
    public static func openDescriptors() -> Int? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return names.count
    }
}
