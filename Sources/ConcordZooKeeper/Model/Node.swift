extension ZooKeeper {
    /// A znode as the data tree stores it: data, ACL, the persisted part of
    /// its stat, and the names of its children in byte order.
    public struct Node: Sendable, Hashable {
        /// The node's data.
        public var data: [UInt8]
        /// The node's ACL, after ``ZooKeeper/AccessControl/fixUp(_:identities:)``.
        public var acl: [ACL]
        public var czxid: Int64
        public var mzxid: Int64
        public var pzxid: Int64
        public var ctime: Int64
        public var mtime: Int64
        public var version: Int32
        public var cversion: Int32
        public var aversion: Int32
        public var ephemeralOwner: Int64
        /// The children's names, sorted by their UTF-8 bytes.
        public internal(set) var children: [String]

        /// A node created by the transaction `zxid` at `time`.
        public init(data: [UInt8], acl: [ACL], ephemeralOwner: Int64, zxid: Int64, timeMilliseconds: Int64) {
            self.data = data
            self.acl = acl
            czxid = zxid
            mzxid = zxid
            pzxid = zxid
            ctime = timeMilliseconds
            mtime = timeMilliseconds
            version = 0
            cversion = 0
            aversion = 0
            self.ephemeralOwner = ephemeralOwner
            children = []
        }

        /// The node's stat as clients see it.
        public var stat: Stat {
            Stat(
                czxid: czxid, mzxid: mzxid, ctime: ctime, mtime: mtime, version: version, cversion: cversion,
                aversion: aversion, ephemeralOwner: ephemeralOwner, dataLength: Int32(data.count),
                numChildren: Int32(children.count), pzxid: pzxid)
        }

        /// Adds a child name, keeping the order. Returns false if it was there.
        @discardableResult
        mutating func insertChild(_ name: String) -> Bool {
            let position = childPosition(name)
            if position < children.count && children[position] == name { return false }
            children.insert(name, at: position)
            return true
        }

        /// Removes a child name. Returns false if it was not there.
        @discardableResult
        mutating func removeChild(_ name: String) -> Bool {
            let position = childPosition(name)
            guard position < children.count && children[position] == name else { return false }
            children.remove(at: position)
            return true
        }

        /// The index of the first child not ordered before `name` (binary search).
        private func childPosition(_ name: String) -> Int {
            var low = 0
            var high = children.count
            while low < high {
                let middle = (low + high) / 2
                if Node.precedes(children[middle], name) { low = middle + 1 } else { high = middle }
            }
            return low
        }

        /// The order of names: by UTF-8 bytes, so it is the same on every platform.
        static func precedes(_ left: String, _ right: String) -> Bool {
            left.utf8.lexicographicallyPrecedes(right.utf8)
        }
    }
}
