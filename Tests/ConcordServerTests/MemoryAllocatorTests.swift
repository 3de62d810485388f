import ConcordServer
import Testing

@Suite struct MemoryAllocatorTests {
    @Test func withNothingChosenTheThresholdIsFixed() {
        let settings = MemoryAllocator.settings(environment: ["PATH": "/usr/bin", "MALLOC_ARENA_MAX": "4"])
        #expect(settings.map(\.name) == ["MALLOC_MMAP_THRESHOLD_"])
        #expect(settings.map(\.value) == [MemoryAllocator.mmapThresholdBytes])
    }

    @Test func anOperatorsChoiceWins() {
        #expect(MemoryAllocator.settings(environment: ["MALLOC_MMAP_THRESHOLD_": "131072"]).isEmpty)
        #expect(MemoryAllocator.settings(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=4"]).count == 1)
        #expect(MemoryAllocator.settings(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=65536"]).isEmpty)
    }

    /// glibc accepts the setting (this test process takes it too).
    @Test func glibcAcceptsTheSetting() {
        #expect(MemoryAllocator.configure(environment: [:]).map(\.name) == ["MALLOC_MMAP_THRESHOLD_"])
        #expect(MemoryAllocator.configure(environment: ["MALLOC_MMAP_THRESHOLD_": "262144"]).isEmpty)
    }

    /// The statistics follow a large block: in use while held, gone once
    /// freed (a 64 MiB block is mapped on its own whatever the threshold).
    /// Other tests allocate and free beside it, so each change is asked to
    /// be at least nine tenths of the block.
    @Test func statisticsFollowALargeBlock() {
        let size = 64 << 20
        let most = size / 10 * 9
        let before = MemoryAllocator.statistics()
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        let during = MemoryAllocator.statistics()
        block.deallocate()
        let after = MemoryAllocator.statistics()
        #expect(during.inUseBytes - before.inUseBytes >= most)
        #expect(during.heldBytes - before.heldBytes >= most)
        #expect(during.inUseBytes - after.inUseBytes >= most)
        #expect(during.heldBytes >= during.inUseBytes)
    }

    /// Pages freed between blocks still in use stay resident until a trim
    /// gives them back: 32 MiB of 4 KiB blocks, every sixteenth kept (the
    /// last one too, so no free top can be trimmed by `free` itself), lose
    /// most of their resident pages to `trim()`. Other tests allocate
    /// beside it, so only half of the freed pages are asked for.
    @Test func trimGivesBackFreePagesBetweenBlocksInUse() throws {
        let blockBytes = 4 << 10
        let blocks = (32 << 20) / blockBytes
        var pointers: [UnsafeMutableRawPointer] = []
        pointers.reserveCapacity(blocks)
        for _ in 0..<blocks {
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 7, count: blockBytes)
            pointers.append(block)
        }
        for (position, block) in pointers.enumerated() where position % 16 != 15 { block.deallocate() }
        let freed = blockBytes * (blocks - blocks / 16)
        let before = try #require(MemoryAllocator.residentBytes())
        MemoryAllocator.trim()
        let after = try #require(MemoryAllocator.residentBytes())
        for (position, block) in pointers.enumerated() where position % 16 == 15 { block.deallocate() }
        #expect(before - after >= freed / 2, "resident \(before) before the trim, \(after) after; \(freed) bytes were freed")
    }

    @Test func theProcessFiguresAreRead() throws {
        let resident = try #require(MemoryAllocator.residentBytes())
        #expect(resident > 1 << 20)
        let open = try #require(MemoryAllocator.openDescriptors())
        #expect(open >= 3)
    }

    /// `/metrics` carries the process's memory, descriptors and the
    /// allocator's figures, read when it is rendered.
    @Test func metricsCarryMemoryAndDescriptors() throws {
        let text = String(decoding: ServerMetrics().render(), as: UTF8.self)
        for name in ["process_resident_memory_bytes", "process_open_fds", "concord_malloc_in_use_bytes", "concord_malloc_held_bytes"] {
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(name + " ") }, "\(name) missing")
            let value = try #require(Double(line.split(separator: " ").last ?? ""))
            #expect(value > 0, "\(name) is \(value)")
        }
    }
}
