#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Storage {
    /// The real file system, through POSIX calls: `open`, `pread`,
    /// `pwrite`, `fdatasync`, `fallocate`, `rename`, `unlink` and `fsync` of
    /// a directory descriptor.
    public struct PosixFileSystem: FileSystem {
        /// The real file system.
        public init() {}

        public func open(_ path: String, create: Bool) throws -> any StorageFile {
            var flags = O_RDWR | O_CLOEXEC
            if create { flags |= O_CREAT }
            let descriptor = retryingInterrupts { systemOpen(path, flags, 0o644) }
            guard descriptor >= 0 else {
                throw StorageError.fileSystem(operation: create ? "create" : "open", path: path, code: errno)
            }
            return PosixFile(path: path, descriptor: descriptor)
        }

        public func contentsOfDirectory(_ path: String) throws -> [String] {
            guard let directory = opendir(path) else {
                throw StorageError.fileSystem(operation: "list directory", path: path, code: errno)
            }
            defer { closedir(directory) }
            var names: [String] = []
            while true {
                errno = 0
                guard let entry = readdir(directory) else {
                    if errno != 0 {
                        throw StorageError.fileSystem(operation: "list directory", path: path, code: errno)
                    }
                    break
                }
                let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                    tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                        String(cString: $0)
                    }
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return names
        }

        public func createDirectory(_ path: String) throws {
            var prefix = path.hasPrefix("/") ? "" : "."
            for component in path.split(separator: "/") {
                prefix += "/" + component
                if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                    throw StorageError.fileSystem(operation: "create directory", path: prefix, code: errno)
                }
            }
        }

        public func exists(_ path: String) -> Bool {
            access(path, F_OK) == 0
        }

        public func rename(_ source: String, to destination: String) throws {
            guard systemRename(source, destination) == 0 else {
                throw StorageError.fileSystem(operation: "rename to '\(destination)'", path: source, code: errno)
            }
        }

        public func remove(_ path: String) throws {
            guard unlink(path) == 0 else {
                throw StorageError.fileSystem(operation: "remove", path: path, code: errno)
            }
        }

        public func syncDirectory(_ path: String) throws {
            let descriptor = retryingInterrupts { systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
            guard descriptor >= 0 else {
                throw StorageError.fileSystem(operation: "open directory", path: path, code: errno)
            }
            defer { systemClose(descriptor) }
            guard fsync(descriptor) == 0 else {
                throw StorageError.fileSystem(operation: "fsync directory", path: path, code: errno)
            }
        }

        public func lock(_ path: String) throws -> any StorageFile {
            let file = try open(path, create: true) as! PosixFile
            guard flock(file.descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                try? file.close()
                if code == EWOULDBLOCK { throw StorageError.directoryLocked(path: path) }
                throw StorageError.fileSystem(operation: "lock", path: path, code: code)
            }
            return file
        }
    }

    /// A file descriptor opened by ``PosixFileSystem``.
    final class PosixFile: StorageFile, @unchecked Sendable {
        // Safety: `descriptor` is immutable after init except in `close`,
        // which callers must not race with other calls (the log closes a
        // file only from its writer, after the last use).
        let path: String
        private(set) var descriptor: Int32

        init(path: String, descriptor: Int32) {
            self.path = path
            self.descriptor = descriptor
        }

        deinit {
            if descriptor >= 0 { systemClose(descriptor) }
        }

        private func checkOpen() throws {
            guard descriptor >= 0 else { throw StorageError.fileSystem(operation: "use closed file", path: path, code: EBADF) }
        }

        func size() throws -> UInt64 {
            try checkOpen()
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                throw StorageError.fileSystem(operation: "stat", path: path, code: errno)
            }
            return UInt64(status.st_size)
        }

        func read(at offset: UInt64, count: Int) throws -> [UInt8] {
            try checkOpen()
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            try bytes.withUnsafeMutableBytes { buffer in
                while done < count {
                    let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw StorageError.fileSystem(operation: "read", path: path, code: errno)
                    }
                    if result == 0 { break }
                    done += result
                }
            }
            if done < count { bytes.removeLast(count - done) }
            return bytes
        }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
            try checkOpen()
            var done = 0
            while done < bytes.count {
                let result = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                if result < 0 {
                    if errno == EINTR { continue }
                    throw StorageError.fileSystem(operation: "write", path: path, code: errno)
                }
                done += result
            }
        }

        func truncate(to size: UInt64) throws {
            try checkOpen()
            guard retryingInterrupts({ ftruncate(descriptor, off_t(size)) }) == 0 else {
                throw StorageError.fileSystem(operation: "truncate", path: path, code: errno)
            }
        }

        func preallocate(to size: UInt64, zeroFill: Bool) throws {
            let current = try self.size()
            guard size > current else { return }
            if !zeroFill {
                if let allocate = linuxFallocate {
                    let result = retryingInterrupts { allocate(descriptor, 0, off_t(current), off_t(size - current)) }
                    if result == 0 { return }
                    // File systems without fallocate get zeros written instead.
                    guard errno == EOPNOTSUPP else {
                        throw StorageError.fileSystem(operation: "fallocate", path: path, code: errno)
                    }
                }
            }
            let chunkBytes = 1 << 20
            let zeros = [UInt8](repeating: 0, count: chunkBytes)
            var offset = current
            while offset < size {
                let count = Int(min(UInt64(chunkBytes), size - offset))
                try zeros.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset) }
                offset += UInt64(count)
            }
        }

        func sync() throws {
            try checkOpen()
            guard retryingInterrupts({ fdatasync(descriptor) }) == 0 else {
                throw StorageError.fileSystem(operation: "fdatasync", path: path, code: errno)
            }
        }

        func close() throws {
            guard descriptor >= 0 else { return }
            let result = systemClose(descriptor)
            descriptor = -1
            guard result == 0 else {
                throw StorageError.fileSystem(operation: "close", path: path, code: errno)
            }
        }
    }
}

/// Repeats a system call interrupted by a signal.
func retryingInterrupts(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}

private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
@discardableResult
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }

/// Linux's `fallocate(2)`, which the C library declares only under
/// `_GNU_SOURCE` (so Swift does not import it); `nil` elsewhere.
private let linuxFallocate: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32)? = {
    #if os(Linux)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32).self)
    #else
    return nil
    #endif
}()
