extension Storage {
    /// The file-system calls storage makes, so that tests can substitute a
    /// file system that loses unsynced writes on a simulated crash
    /// (``SimulatedFileSystem``) for the real one (``PosixFileSystem``).
    ///
    /// Paths are absolute, `/`-separated. Every method throws
    /// ``StorageError``.
    public protocol FileSystem: Sendable {
        /// Opens a file for reading and writing. With `create`, a missing
        /// file is created empty (its name is durable only after
        /// ``syncDirectory(_:)``).
        func open(_ path: String, create: Bool) throws -> any StorageFile
        /// The names (not paths) in a directory, in no particular order.
        func contentsOfDirectory(_ path: String) throws -> [String]
        /// Creates a directory (and its parents) if missing.
        func createDirectory(_ path: String) throws
        /// Whether a file or directory exists at `path`.
        func exists(_ path: String) -> Bool
        /// Atomically replaces `destination` with `source`.
        func rename(_ source: String, to destination: String) throws
        /// Removes a file's name.
        func remove(_ path: String) throws
        /// Makes the directory's entries (creations, renames, removals)
        /// durable.
        func syncDirectory(_ path: String) throws
        /// Takes an exclusive advisory lock on `path` (creating it), held
        /// until the returned file is closed.
        func lock(_ path: String) throws -> any StorageFile
    }

    /// An open file. Writes are durable only after ``sync()``.
    public protocol StorageFile: AnyObject, Sendable {
        /// The path the file was opened with.
        var path: String { get }
        /// The file's size in bytes.
        func size() throws -> UInt64
        /// Up to `count` bytes at `offset`; fewer only at the end of the file.
        func read(at offset: UInt64, count: Int) throws -> [UInt8]
        /// Writes all of `bytes` at `offset`, or throws.
        func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws
        /// Sets the file's size; bytes past the old end read as zeros.
        func truncate(to size: UInt64) throws
        /// Reserves space so that the file is at least `size` bytes long,
        /// with every byte past the old end reading as zero. `zeroFill`
        /// writes those zeros instead of asking for an allocation.
        func preallocate(to size: UInt64, zeroFill: Bool) throws
        /// Makes every completed write and size change durable
        /// (`fdatasync`).
        func sync() throws
        /// Closes the file; further calls throw.
        func close() throws
    }
}

extension Storage.StorageFile {
    /// Writes all of `bytes` at `offset`, or throws.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }
}
