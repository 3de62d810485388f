import CLibCrypt

/// bcrypt password hashes, as etcd stores them, from libxcrypt (Debian's
/// libcrypt): `crypt_gensalt_rn` draws the salt from the operating
/// system's random source and `crypt_rn` hashes.
///
/// Hashing is slow on purpose (cost 10, etcd's default: about 2^10
/// rounds of the key schedule), so callers run it off the node's actor.
enum BCryptPassword {
    /// etcd's default bcrypt cost.
    static let cost = 10

    enum Failure: Error, CustomStringConvertible {
        case saltUnavailable
        case hashFailed
        case passwordContainsNUL

        var description: String {
            switch self {
            case .saltUnavailable: "cannot draw a bcrypt salt"
            case .hashFailed: "bcrypt hashing failed"
            case .passwordContainsNUL: "a password cannot contain a NUL byte"
            }
        }
    }

    /// A new `$2b$` hash of `password` with a random salt.
    static func hash(_ password: String, cost: Int = cost) throws -> String {
        guard !password.utf8.contains(0) else { throw Failure.passwordContainsNUL }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
            throw Failure.saltUnavailable
        }
        guard let hashed = run(password, setting: String(cString: setting)), hashed.hasPrefix("$2b$") else {
            throw Failure.hashFailed
        }
        return hashed
    }

    /// True when `password` hashes to `stored` (compared in time that does
    /// not depend on where the two differ).
    static func verify(_ password: String, against stored: String) -> Bool {
        guard !password.utf8.contains(0), stored.hasPrefix("$2"), let hashed = run(password, setting: stored) else { return false }
        let left = Array(hashed.utf8)
        let right = Array(stored.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func run(_ password: String, setting: String) -> String? {
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        defer {
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            data.deallocate()
        }
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        guard let result = crypt_rn(password, setting, data, Int32(size)) else { return nil }
        let text = String(cString: result)
        // libxcrypt marks a failure with a string starting with '*'.
        return text.hasPrefix("*") ? nil : text
    }
}
