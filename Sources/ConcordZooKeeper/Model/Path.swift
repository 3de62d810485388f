extension ZooKeeper {
    /// ZooKeeper's rules for znode paths (`PathUtils.validatePath`), and the
    /// parent and last component of a path.
    ///
    /// A valid path starts with `/`, does not end with `/` (except the root
    /// itself), has no empty component (`//`), no `.` or `..` component, no
    /// NUL, and none of the characters ZooKeeper refuses: U+0001–U+001F,
    /// U+007F–U+009F, U+FFF0–U+FFFF, the private-use area U+E000–U+F8FF and
    /// anything outside the Basic Multilingual Plane (ZooKeeper checks UTF-16
    /// code units and refuses surrogates).
    public enum Path {
        /// The root.
        public static let root = "/"

        /// Why `path` is not a valid znode path, or `nil` if it is.
        public static func problem(_ path: String) -> String? {
            let units = Array(path.utf16)
            guard let first = units.first else { return "the path is empty" }
            guard first == slash else { return "the path does not start with /" }
            if units.count == 1 { return nil }
            guard units.last != slash else { return "the path ends with /" }
            var previous = slash
            for index in 1..<units.count {
                let unit = units[index]
                defer { previous = unit }
                if unit == 0 { return "NUL character at \(index)" }
                if unit == slash && previous == slash { return "empty node name at \(index)" }
                if unit == dot && previous == slash {
                    let next = index + 1 < units.count ? units[index + 1] : slash
                    if next == slash { return "relative path component at \(index)" }
                    if next == dot {
                        let afterNext = index + 2 < units.count ? units[index + 2] : slash
                        if afterNext == slash { return "relative path component at \(index)" }
                    }
                }
                if (unit > 0 && unit <= 0x1F) || (unit >= 0x7F && unit <= 0x9F)
                    || (unit >= 0xD800 && unit <= 0xF8FF) || unit >= 0xFFF0 {
                    return "invalid character at \(index)"
                }
            }
            return nil
        }

        /// Whether `path` is a valid znode path.
        public static func isValid(_ path: String) -> Bool { problem(path) == nil }

        /// The parent of a valid path other than the root (`/a/b` → `/a`,
        /// `/a` → `/`).
        public static func parent(of path: String) -> String {
            precondition(path != root, "the root has no parent")
            let lastSlash = path.utf8.lastIndex(of: UInt8(ascii: "/"))!
            return lastSlash == path.utf8.startIndex ? root : String(path[..<lastSlash])
        }

        /// The last component of a valid path other than the root.
        public static func name(of path: String) -> String {
            let lastSlash = path.utf8.lastIndex(of: UInt8(ascii: "/"))!
            return String(path[path.utf8.index(after: lastSlash)...])
        }

        /// The path of child `name` under `parent`.
        public static func child(_ name: String, of parent: String) -> String {
            parent == root ? "/" + name : parent + "/" + name
        }

        /// Whether `path` is `ancestor` or lies below it.
        public static func isSelfOrDescendant(_ path: String, of ancestor: String) -> Bool {
            if ancestor == root { return true }
            guard path.hasPrefix(ancestor) else { return false }
            let rest = path.utf8.dropFirst(ancestor.utf8.count)
            return rest.isEmpty || rest.first == UInt8(ascii: "/")
        }

        /// `path` and each of its ancestors up to the root, deepest first.
        public static func selfAndAncestors(of path: String) -> [String] {
            var result = [path]
            var current = path
            while current != root {
                current = parent(of: current)
                result.append(current)
            }
            return result
        }

        /// The name ZooKeeper gives a sequential node: the requested path
        /// followed by the parent's child version as ten zero-padded digits
        /// (`String.format("%010d", cversion)`; a negative counter keeps its
        /// sign in front, as Java prints it).
        public static func sequential(_ path: String, counter: Int32) -> String {
            let digits = String(counter.magnitude)
            let width = counter < 0 ? 9 : 10
            let padding = String(repeating: "0", count: max(0, width - digits.count))
            return path + (counter < 0 ? "-" : "") + padding + digits
        }

        private static let slash = UInt16(UInt8(ascii: "/"))
        private static let dot = UInt16(UInt8(ascii: "."))
    }
}
