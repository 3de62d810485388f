import Testing
@testable import ConcordZooKeeper

@Suite("ZooKeeper paths")
struct PathTests {
    @Test("valid paths pass ZooKeeper's rules", arguments: ["/", "/a", "/a/b", "/a.b", "/...", "/a/..b", "/zookeeper", "/é", "/a b"])
    func validPaths(path: String) {
        #expect(ZooKeeper.Path.isValid(path))
    }

    @Test("invalid paths are refused as ZooKeeper refuses them",
          arguments: ["", "a", "a/b", "/a/", "//", "/a//b", "/.", "/a/.", "/..", "/a/../b", "/a\u{0}b", "/a\u{1}", "/a\u{7F}", "/a\u{E000}", "/a\u{FFF5}", "/a😀"])
    func invalidPaths(path: String) {
        #expect(!ZooKeeper.Path.isValid(path))
    }

    @Test("parent and name split at the last slash")
    func parentAndName() {
        #expect(ZooKeeper.Path.parent(of: "/a") == "/")
        #expect(ZooKeeper.Path.parent(of: "/a/b/c") == "/a/b")
        #expect(ZooKeeper.Path.name(of: "/a/b/c") == "c")
        #expect(ZooKeeper.Path.child("x", of: "/") == "/x")
        #expect(ZooKeeper.Path.child("x", of: "/a") == "/a/x")
        #expect(ZooKeeper.Path.selfAndAncestors(of: "/a/b") == ["/a/b", "/a", "/"])
        #expect(ZooKeeper.Path.isSelfOrDescendant("/a/b", of: "/a"))
        #expect(!ZooKeeper.Path.isSelfOrDescendant("/ab", of: "/a"))
    }

    @Test("sequential names carry ten digits, as Java's %010d prints them")
    func sequentialNames() {
        #expect(ZooKeeper.Path.sequential("/lock-", counter: 0) == "/lock-0000000000")
        #expect(ZooKeeper.Path.sequential("/q/item", counter: 42) == "/q/item0000000042")
        #expect(ZooKeeper.Path.sequential("/x", counter: Int32.max) == "/x2147483647")
        #expect(ZooKeeper.Path.sequential("/x", counter: -1) == "/x-000000001")
    }
}
