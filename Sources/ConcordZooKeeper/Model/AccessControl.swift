extension ZooKeeper {
    /// ZooKeeper's ACL rules: which identities a connection proves, whether
    /// they may do something to a node, and how a requested ACL is checked
    /// and expanded before it is stored.
    public enum AccessControl {
        /// The schemes whose identities this server can check (the
        /// `ServerAuthenticationProvider`s).
        public static let knownSchemes: Set<String> = ["digest"]

        /// Whether `identities` may do `permission` to a node with `acl`
        /// (`ZooKeeperServer.checkACL`): an empty ACL allows everything; an
        /// entry allows when it has any of the permission's bits and names
        /// `world:anyone` or one of the identities exactly.
        public static func allows(_ acl: [ACL], _ permission: Permissions, identities: [Identity]) -> Bool {
            if acl.isEmpty { return true }
            for entry in acl where !entry.permissions.intersection(permission).isEmpty {
                if entry.identity == .anyone { return true }
                if knownSchemes.contains(entry.identity.scheme), identities.contains(entry.identity) { return true }
            }
            return false
        }

        /// The ACL to store for a create or setACL (`PrepRequestProcessor.fixupACL`):
        /// duplicates removed, `auth` entries replaced by the caller's
        /// authenticated identities, every other entry checked.
        /// - Throws: ``ZooKeeper/ErrorCode/invalidACL`` for an empty list, an
        ///   unknown scheme, a malformed digest id, or an `auth` entry when
        ///   the caller has proved no identity.
        public static func fixUp(_ requested: [ACL], identities: [Identity]) throws(ErrorCode) -> [ACL] {
            var unique: [ACL] = []
            for entry in requested where !unique.contains(entry) { unique.append(entry) }
            guard !unique.isEmpty else { throw .invalidACL }
            var result: [ACL] = []
            for entry in unique {
                if entry.identity == .anyone {
                    result.append(entry)
                } else if entry.identity.scheme == "auth" {
                    let authenticated = identities.filter { knownSchemes.contains($0.scheme) }
                    guard !authenticated.isEmpty else { throw .invalidACL }
                    for identity in authenticated {
                        result.append(ACL(permissions: entry.permissions, identity: identity))
                    }
                } else if entry.identity.scheme == "digest" {
                    // DigestAuthenticationProvider.isValid: exactly one ':'.
                    guard entry.identity.id.split(separator: ":", omittingEmptySubsequences: false).count == 2 else {
                        throw .invalidACL
                    }
                    result.append(entry)
                } else {
                    throw .invalidACL
                }
            }
            return result
        }

        /// The identity a `digest` authentication proves: `user:` followed by
        /// the base64 of the SHA-1 of the whole credential `user:password`
        /// (`DigestAuthenticationProvider.generateDigest`).
        ///
        /// The core computes no hash itself: `sha1` is the function the
        /// shell injects (a maintained library's SHA-1 at runtime).
        public static func digestIdentity(credential: [UInt8], sha1: ([UInt8]) -> [UInt8]) -> Identity {
            let user = credential.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            let userName = String(decoding: user, as: UTF8.self)
            return Identity(scheme: "digest", id: userName + ":" + Base64.encode(sha1(credential)))
        }

        /// What getACL shows a caller without ADMIN permission: digest ids
        /// with their hash replaced by `x`, as ZooKeeper does.
        public static func redacted(_ acl: [ACL]) -> [ACL] {
            acl.map { entry in
                guard entry.identity.scheme == "digest",
                    let colon = entry.identity.id.firstIndex(of: ":")
                else { return entry }
                var copy = entry
                copy.identity.id = String(entry.identity.id[..<colon]) + ":x"
                return copy
            }
        }
    }
}
