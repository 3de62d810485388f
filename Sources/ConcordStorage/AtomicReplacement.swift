extension Storage {
    /// Replaces a whole file so that a crash leaves either the old or the
    /// new contents: write `<name>.tmp`, sync it, rename it over `<name>`,
    /// sync the directory.
    ///
    /// On failure the temporary file is removed (if it can be) and the old
    /// file is untouched.
    static func replaceAtomically(
        _ bytes: [UInt8], named name: String, in directory: String, fileSystem: any FileSystem
    ) throws {
        try replaceAtomically(parts: [bytes], named: name, in: directory, fileSystem: fileSystem)
    }

    /// `replaceAtomically(_:named:in:fileSystem:)` for contents given as
    /// consecutive parts, written one after the other: a large file is
    /// never gathered into one more buffer in memory.
    static func replaceAtomically(
        parts: [[UInt8]], named name: String, in directory: String, fileSystem: any FileSystem
    ) throws {
        let path = directory + "/" + name
        let temporary = path + DataFileName.temporarySuffix
        do {
            let file = try fileSystem.open(temporary, create: true)
            defer { try? file.close() }
            try file.truncate(to: 0)
            var offset: UInt64 = 0
            for part in parts {
                try file.write(part, at: offset)
                offset += UInt64(part.count)
            }
            try file.sync()
            try fileSystem.rename(temporary, to: path)
            try fileSystem.syncDirectory(directory)
        } catch {
            if fileSystem.exists(temporary) { try? fileSystem.remove(temporary) }
            throw error
        }
    }
}
