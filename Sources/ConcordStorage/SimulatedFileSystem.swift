import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Storage {
    /// An in-memory file system that models what a crash does to unsynced
    /// data, for tests of storage's durability contract.
    ///
    /// Fault model:
    /// - Each file keeps its durable bytes and the changes (writes, size
    ///   changes) made since its last ``StorageFile/sync()``. A crash keeps a
    ///   random prefix of those changes, the last kept write possibly torn
    ///   (only a prefix of its bytes arrives), and loses the rest.
    /// - Each directory keeps the name changes (create, rename, remove) made
    ///   since its last ``syncDirectory(_:)``; a crash keeps a random prefix
    ///   of them. A file whose name was never made durable is lost.
    /// - ``crash(using:)`` with a generator picks the prefixes;
    ///   ``crashLosingEverythingUnsynced()`` keeps none.
    /// - ``crashAfter(operations:)`` makes the n-th following mutating call
    ///   fail as if the machine stopped there: it and every later call throw
    ///   until ``crash(using:)``.
    /// - ``spaceLimitBytes`` makes writes that would grow the named files
    ///   past the limit fail with `ENOSPC` and change nothing;
    ///   ``isReadOnly`` makes every change fail with `EROFS`;
    ///   ``failNextSync(code:)`` makes one sync fail.
    ///
    /// Directories are created durably and never removed.
    public final class SimulatedFileSystem: FileSystem, Sendable {
        enum Change {
            case write(offset: Int, bytes: [UInt8])
            case resize(Int)
        }

        enum NameChange {
            case link(name: String, inode: Int)
            case unlink(name: String)
            case rename(from: String, to: String, inode: Int)
        }

        /// One change made while durability is deferred, in the order made.
        enum DeferredChange {
            case content(inode: Int)
            case name(directory: String)
        }

        struct Inode {
            var durable: [UInt8] = []
            var current: [UInt8] = []
            var pending: [Change] = []
        }

        struct State {
            var inodes: [Int: Inode] = [:]
            var nextInode = 1
            var names: [String: Int] = [:]
            var durableNames: [String: Int] = [:]
            var pendingNameChanges: [String: [NameChange]] = [:]
            var directories: Set<String> = ["/"]
            var locks: Set<String> = []
            var generation = 0
            var crashCountdown: Int?
            var isStopped = false
            var failingSyncCode: Int32?
            var spaceLimitBytes: Int?
            var isReadOnly = false
            var syncCount = 0
            var directorySyncCount = 0
            var mutatingOperationCount = 0
            var syncsAreIgnored = false
            var defersDurability = false
            var deferredOrder: [DeferredChange] = []
        }

        let state = Mutex(State())

        /// An empty file system holding only the root directory.
        public init() {}

        // MARK: Fault controls

        /// The most bytes the named files may hold together; `nil` for no
        /// limit. A change that would exceed it fails with `ENOSPC`.
        public var spaceLimitBytes: Int? {
            get { state.withLock { $0.spaceLimitBytes } }
            set { state.withLock { $0.spaceLimitBytes = newValue } }
        }

        /// Whether every change fails with `EROFS`.
        public var isReadOnly: Bool {
            get { state.withLock { $0.isReadOnly } }
            set { state.withLock { $0.isReadOnly = newValue } }
        }

        /// How many file syncs have completed.
        public var syncCount: Int { state.withLock { $0.syncCount } }

        /// How many mutating calls (the ones ``crashAfter(operations:)``
        /// counts) have been made.
        public var mutatingOperationCount: Int { state.withLock { $0.mutatingOperationCount } }

        /// A disk that lies: syncs report success and make nothing durable.
        /// Only for showing that crash tests catch lost writes.
        public var syncsAreIgnored: Bool {
            get { state.withLock { $0.syncsAreIgnored } }
            set { state.withLock { $0.syncsAreIgnored = newValue } }
        }

        /// Deferred durability, for a simulator whose disk completes writes
        /// after a latency: syncs return at once and make nothing durable;
        /// every change (file contents and names alike) waits, in the order
        /// made, for ``makeEverythingDurable()``. ``crashKeepingPrefix(using:)``
        /// keeps a random prefix of that order, the last kept write possibly
        /// torn: the state power loss leaves when it strikes in the middle
        /// of a run of writes and syncs, which keeps their order.
        public var defersDurability: Bool {
            get { state.withLock { $0.defersDurability } }
            set { state.withLock { $0.defersDurability = newValue } }
        }

        /// Makes every change made so far durable, as if each file and
        /// directory were synced now.
        public func makeEverythingDurable() {
            state.withLock { state in
                for (number, inode) in state.inodes where !inode.pending.isEmpty {
                    state.inodes[number] = Inode(durable: inode.current, current: inode.current, pending: [])
                }
                for (_, changes) in state.pendingNameChanges.sorted(by: { $0.key < $1.key }) {
                    for change in changes { Self.apply(change, to: &state.durableNames) }
                }
                state.pendingNameChanges = [:]
                state.deferredOrder = []
            }
        }

        /// Simulates power loss while durability is deferred: keeps the
        /// changes of a random prefix of the order they were made in (the
        /// last kept write possibly torn), loses the rest, and invalidates
        /// every open file.
        public func crashKeepingPrefix<Generator: RandomNumberGenerator>(using generator: inout Generator) {
            state.withLock { state in
                let order = state.deferredOrder
                let kept = Int.random(in: 0...order.count, using: &generator)
                var contentCounts: [Int: Int] = [:]
                var nameCounts: [String: Int] = [:]
                for change in order[..<kept] {
                    switch change {
                    case .content(let inode): contentCounts[inode, default: 0] += 1
                    case .name(let directory): nameCounts[directory, default: 0] += 1
                    }
                }
                var tornInode: Int?
                if kept < order.count, case .content(let inode) = order[kept] { tornInode = inode }
                for number in state.inodes.keys.sorted() {
                    let inode = state.inodes[number]!
                    let count = min(contentCounts[number] ?? 0, inode.pending.count)
                    var durable = inode.durable
                    for change in inode.pending[..<count] { Self.apply(change, to: &durable) }
                    if tornInode == number, count < inode.pending.count, case let .write(offset, bytes) = inode.pending[count] {
                        let torn = Int.random(in: 0...bytes.count, using: &generator)
                        Self.apply(.write(offset: offset, bytes: Array(bytes[..<torn])), to: &durable)
                    }
                    state.inodes[number] = Inode(durable: durable, current: durable, pending: [])
                }
                for (directory, changes) in state.pendingNameChanges.sorted(by: { $0.key < $1.key }) {
                    for change in changes.prefix(nameCounts[directory] ?? 0) { Self.apply(change, to: &state.durableNames) }
                }
                state.deferredOrder = []
                Self.restart(&state)
            }
        }

        /// Makes the next file sync fail with `code` and change nothing.
        public func failNextSync(code: Int32 = EIO) {
            state.withLock { $0.failingSyncCode = code }
        }

        /// Makes the `operations`-th mutating call from now (1 = the next)
        /// fail as if the machine stopped before it.
        public func crashAfter(operations: Int) {
            precondition(operations >= 1, "crashAfter(operations:) counts from 1")
            state.withLock { $0.crashCountdown = operations }
        }

        /// Whether an injected crash has stopped the file system.
        public var isStopped: Bool { state.withLock { $0.isStopped } }

        /// Simulates power loss: keeps a random prefix of each file's and
        /// each directory's unsynced changes, loses the rest, and
        /// invalidates every open file.
        public func crash<Generator: RandomNumberGenerator>(using generator: inout Generator) {
            state.withLock { state in
                for (number, inode) in state.inodes {
                    let kept = Int.random(in: 0...inode.pending.count, using: &generator)
                    var durable = inode.durable
                    for change in inode.pending[..<kept] { Self.apply(change, to: &durable) }
                    if kept < inode.pending.count, case let .write(offset, bytes) = inode.pending[kept] {
                        let torn = Int.random(in: 0...bytes.count, using: &generator)
                        Self.apply(.write(offset: offset, bytes: Array(bytes[..<torn])), to: &durable)
                    }
                    state.inodes[number] = Inode(durable: durable, current: durable, pending: [])
                }
                for (_, changes) in state.pendingNameChanges {
                    let kept = Int.random(in: 0...changes.count, using: &generator)
                    for change in changes[..<kept] { Self.apply(change, to: &state.durableNames) }
                }
                Self.restart(&state)
            }
        }

        /// Simulates power loss on a disk that writes back unsynced data out
        /// of order: each `blockBytes`-sized, aligned block of each file's
        /// unsynced changes independently survives or not, as pages of a
        /// page cache may. Size changes are kept or lost with their file's
        /// first block. Name changes keep a random prefix, as in
        /// ``crash(using:)``.
        public func crashReorderingBlocks<Generator: RandomNumberGenerator>(
            blockBytes: Int, using generator: inout Generator
        ) {
            precondition(blockBytes > 0, "blocks have a positive size")
            state.withLock { state in
                for (number, inode) in state.inodes {
                    let keepsSize = Bool.random(using: &generator)
                    let size = keepsSize ? inode.current.count : inode.durable.count
                    var durable = inode.durable
                    Self.apply(.resize(size), to: &durable)
                    var block = 0
                    while block * blockBytes < size {
                        let range = (block * blockBytes)..<min((block + 1) * blockBytes, size)
                        if Bool.random(using: &generator) {
                            for position in range {
                                durable[position] = position < inode.current.count ? inode.current[position] : 0
                            }
                        }
                        block += 1
                    }
                    state.inodes[number] = Inode(durable: durable, current: durable, pending: [])
                }
                for (_, changes) in state.pendingNameChanges {
                    let kept = Int.random(in: 0...changes.count, using: &generator)
                    for change in changes[..<kept] { Self.apply(change, to: &state.durableNames) }
                }
                Self.restart(&state)
            }
        }

        /// Simulates power loss that keeps nothing unsynced.
        public func crashLosingEverythingUnsynced() {
            state.withLock { state in
                for (number, inode) in state.inodes {
                    state.inodes[number] = Inode(durable: inode.durable, current: inode.durable, pending: [])
                }
                Self.restart(&state)
            }
        }

        private static func restart(_ state: inout State) {
            state.pendingNameChanges = [:]
            state.names = state.durableNames
            let live = Set(state.names.values)
            state.inodes = state.inodes.filter { live.contains($0.key) }
            state.locks = []
            state.generation += 1
            state.crashCountdown = nil
            state.isStopped = false
        }

        // MARK: Test access

        /// The current bytes of a file (durable or not).
        public func contents(of path: String) -> [UInt8]? {
            state.withLock { state in state.names[path].map { state.inodes[$0]!.current } }
        }

        /// Replaces a file's bytes durably, as damage outside Concord would.
        public func overwrite(_ path: String, with bytes: [UInt8]) {
            state.withLock { state in
                let number = state.names[path] ?? Self.newInode(&state)
                state.names[path] = number
                state.durableNames[path] = number
                state.inodes[number] = Inode(durable: bytes, current: bytes, pending: [])
            }
        }

        // MARK: FileSystem

        public func open(_ path: String, create: Bool) throws -> any StorageFile {
            try state.withLock { state in
                try Self.checkRunning(&state, path: path)
                if let number = state.names[path] {
                    return SimulatedFile(system: self, path: path, inode: number, generation: state.generation)
                }
                guard create else { throw StorageError.fileSystem(operation: "open", path: path, code: ENOENT) }
                let directory = Self.parent(of: path)
                guard state.directories.contains(directory) else {
                    throw StorageError.fileSystem(operation: "create", path: path, code: ENOENT)
                }
                try Self.checkWritable(state, operation: "create", path: path)
                try Self.tick(&state, path: path)
                let number = Self.newInode(&state)
                state.names[path] = number
                state.pendingNameChanges[directory, default: []].append(.link(name: path, inode: number))
                if state.defersDurability { state.deferredOrder.append(.name(directory: directory)) }
                return SimulatedFile(system: self, path: path, inode: number, generation: state.generation)
            }
        }

        public func contentsOfDirectory(_ path: String) throws -> [String] {
            try state.withLock { state in
                try Self.checkRunning(&state, path: path)
                guard state.directories.contains(path) else {
                    throw StorageError.fileSystem(operation: "list directory", path: path, code: ENOENT)
                }
                let prefix = path == "/" ? "/" : path + "/"
                var names = state.names.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
                names += state.directories.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
                return names.filter { !$0.isEmpty && !$0.contains("/") }
            }
        }

        public func createDirectory(_ path: String) throws {
            try state.withLock { state in
                try Self.checkRunning(&state, path: path)
                var prefix = ""
                for component in path.split(separator: "/") {
                    prefix += "/" + component
                    if state.directories.contains(prefix) { continue }
                    try Self.checkWritable(state, operation: "create directory", path: prefix)
                    state.directories.insert(prefix)
                }
            }
        }

        public func exists(_ path: String) -> Bool {
            state.withLock { $0.names[path] != nil || $0.directories.contains(path) }
        }

        public func rename(_ source: String, to destination: String) throws {
            try state.withLock { state in
                try Self.checkRunning(&state, path: source)
                guard let number = state.names[source] else {
                    throw StorageError.fileSystem(operation: "rename to '\(destination)'", path: source, code: ENOENT)
                }
                try Self.checkWritable(state, operation: "rename", path: source)
                precondition(Self.parent(of: source) == Self.parent(of: destination), "renames stay in one directory")
                try Self.tick(&state, path: source)
                state.names[source] = nil
                state.names[destination] = number
                state.pendingNameChanges[Self.parent(of: source), default: []]
                    .append(.rename(from: source, to: destination, inode: number))
                if state.defersDurability { state.deferredOrder.append(.name(directory: Self.parent(of: source))) }
            }
        }

        public func remove(_ path: String) throws {
            try state.withLock { state in
                try Self.checkRunning(&state, path: path)
                guard state.names[path] != nil else {
                    throw StorageError.fileSystem(operation: "remove", path: path, code: ENOENT)
                }
                try Self.checkWritable(state, operation: "remove", path: path)
                try Self.tick(&state, path: path)
                state.names[path] = nil
                state.pendingNameChanges[Self.parent(of: path), default: []].append(.unlink(name: path))
                if state.defersDurability { state.deferredOrder.append(.name(directory: Self.parent(of: path))) }
            }
        }

        public func syncDirectory(_ path: String) throws {
            try state.withLock { state in
                try Self.checkRunning(&state, path: path)
                try Self.tick(&state, path: path)
                state.directorySyncCount += 1
                if state.syncsAreIgnored || state.defersDurability { return }
                for change in state.pendingNameChanges[path] ?? [] { Self.apply(change, to: &state.durableNames) }
                state.pendingNameChanges[path] = nil
            }
        }

        public func lock(_ path: String) throws -> any StorageFile {
            let file = try open(path, create: true) as! SimulatedFile
            try state.withLock { state in
                guard !state.locks.contains(path) else { throw StorageError.directoryLocked(path: path) }
                state.locks.insert(path)
            }
            file.holdsLock = true
            return file
        }

        // MARK: File operations

        func withInode<Result>(
            _ file: SimulatedFile, operation: String, mutating: Bool,
            _ body: (inout Inode, inout State) throws -> Result
        ) throws -> Result {
            try state.withLock { state in
                try Self.checkRunning(&state, path: file.path)
                guard file.generation == state.generation, !file.isClosed, var inode = state.inodes[file.inode] else {
                    throw StorageError.fileSystem(operation: operation, path: file.path, code: EBADF)
                }
                if mutating {
                    try Self.checkWritable(state, operation: operation, path: file.path)
                    try Self.tick(&state, path: file.path)
                }
                let result = try body(&inode, &state)
                state.inodes[file.inode] = inode
                return result
            }
        }

        func release(lock path: String) {
            state.withLock { _ = $0.locks.remove(path) }
        }

        static func usedBytes(_ state: State, replacing inode: Int, withSize size: Int) -> Int {
            Set(state.names.values).reduce(0) { total, number in
                total + (number == inode ? size : state.inodes[number]!.current.count)
            }
        }

        static func checkSpace(_ state: State, inode: Int, newSize: Int, path: String) throws {
            guard let limit = state.spaceLimitBytes, newSize > state.inodes[inode]!.current.count else { return }
            if usedBytes(state, replacing: inode, withSize: newSize) > limit {
                throw StorageError.fileSystem(operation: "write", path: path, code: ENOSPC)
            }
        }

        // MARK: Helpers

        static func apply(_ change: Change, to bytes: inout [UInt8]) {
            switch change {
            case let .write(offset, data):
                if bytes.count < offset + data.count {
                    bytes.append(contentsOf: repeatElement(0, count: offset + data.count - bytes.count))
                }
                bytes.replaceSubrange(offset..<(offset + data.count), with: data)
            case let .resize(size):
                if size < bytes.count {
                    bytes.removeLast(bytes.count - size)
                } else {
                    bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
                }
            }
        }

        static func apply(_ change: NameChange, to names: inout [String: Int]) {
            switch change {
            case let .link(name, inode): names[name] = inode
            case let .unlink(name): names[name] = nil
            case let .rename(from, to, inode):
                names[from] = nil
                names[to] = inode
            }
        }

        static func newInode(_ state: inout State) -> Int {
            let number = state.nextInode
            state.nextInode += 1
            state.inodes[number] = Inode()
            return number
        }

        static func parent(of path: String) -> String {
            guard let slash = path.lastIndex(of: "/") else { return "." }
            let parent = String(path[..<slash])
            return parent.isEmpty ? "/" : parent
        }

        static func checkRunning(_ state: inout State, path: String) throws {
            if state.isStopped {
                throw StorageError.fileSystem(operation: "use stopped file system", path: path, code: EIO)
            }
        }

        static func checkWritable(_ state: State, operation: String, path: String) throws {
            if state.isReadOnly { throw StorageError.fileSystem(operation: operation, path: path, code: EROFS) }
        }

        /// Counts down to an injected crash.
        static func tick(_ state: inout State, path: String) throws {
            state.mutatingOperationCount += 1
            guard let countdown = state.crashCountdown else { return }
            if countdown <= 1 {
                state.crashCountdown = nil
                state.isStopped = true
                throw StorageError.fileSystem(operation: "simulated crash before change", path: path, code: EIO)
            }
            state.crashCountdown = countdown - 1
        }
    }

    /// A file of a ``SimulatedFileSystem``.
    final class SimulatedFile: StorageFile, @unchecked Sendable {
        // Safety: the mutable flags are set by the single owner of the file
        // (the log's writer or a test), never concurrently with other calls.
        let system: SimulatedFileSystem
        let path: String
        let inode: Int
        let generation: Int
        var isClosed = false
        var holdsLock = false

        init(system: SimulatedFileSystem, path: String, inode: Int, generation: Int) {
            self.system = system
            self.path = path
            self.inode = inode
            self.generation = generation
        }

        func size() throws -> UInt64 {
            try system.withInode(self, operation: "stat", mutating: false) { inode, _ in UInt64(inode.current.count) }
        }

        func read(at offset: UInt64, count: Int) throws -> [UInt8] {
            try system.withInode(self, operation: "read", mutating: false) { inode, _ in
                let start = min(Int(offset), inode.current.count)
                let end = min(start + count, inode.current.count)
                return Array(inode.current[start..<end])
            }
        }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
            let data = Array(bytes)
            try system.withInode(self, operation: "write", mutating: true) { inode, state in
                let newSize = max(inode.current.count, Int(offset) + data.count)
                try SimulatedFileSystem.checkSpace(state, inode: self.inode, newSize: newSize, path: path)
                let change = SimulatedFileSystem.Change.write(offset: Int(offset), bytes: data)
                SimulatedFileSystem.apply(change, to: &inode.current)
                inode.pending.append(change)
                if state.defersDurability { state.deferredOrder.append(.content(inode: self.inode)) }
            }
        }

        func truncate(to size: UInt64) throws {
            try system.withInode(self, operation: "truncate", mutating: true) { inode, state in
                try SimulatedFileSystem.checkSpace(state, inode: self.inode, newSize: Int(size), path: path)
                SimulatedFileSystem.apply(.resize(Int(size)), to: &inode.current)
                inode.pending.append(.resize(Int(size)))
                if state.defersDurability { state.deferredOrder.append(.content(inode: self.inode)) }
            }
        }

        func preallocate(to size: UInt64, zeroFill: Bool) throws {
            try system.withInode(self, operation: "fallocate", mutating: true) { inode, state in
                guard Int(size) > inode.current.count else { return }
                try SimulatedFileSystem.checkSpace(state, inode: self.inode, newSize: Int(size), path: path)
                SimulatedFileSystem.apply(.resize(Int(size)), to: &inode.current)
                inode.pending.append(.resize(Int(size)))
                if state.defersDurability { state.deferredOrder.append(.content(inode: self.inode)) }
            }
        }

        func sync() throws {
            try system.withInode(self, operation: "fdatasync", mutating: true) { inode, state in
                if let code = state.failingSyncCode {
                    state.failingSyncCode = nil
                    throw StorageError.fileSystem(operation: "fdatasync", path: path, code: code)
                }
                state.syncCount += 1
                if state.syncsAreIgnored || state.defersDurability { return }
                inode.durable = inode.current
                inode.pending = []
            }
        }

        func close() throws {
            guard !isClosed else { return }
            isClosed = true
            if holdsLock { system.release(lock: path) }
        }
    }
}
