// swift-tools-version: 6.1
// Fuzz targets for Concord's parsers that face the network or the disk,
// built with libFuzzer and AddressSanitizer (docs/fuzzing.md). A separate
// package, so the normal build never compiles them:
//   Fuzz/fuzz.sh build | run SECONDS [TARGET...] | smoke | seeds
import PackageDescription

/// Each target: its name (`fuzz-NAME`, sources in `Sources/fuzz-NAME/`,
/// corpus in `Corpus/NAME/`) and the products it tests.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("store-command", [concord("ConcordKV")]),
    ("store-snapshot", [concord("ConcordKV")]),
    ("log-payload", [concord("ConcordServerCore"), concord("ConcordKV")]),
    ("peer-frame", [concord("ConcordServerCore"), concord("ConcordKV"), concord("ConcordRaft"), concord("ConcordPaxos")]),
    ("data-directory", [concord("ConcordStorage")]),
    ("jwt-token", [concord("ConcordServer"), concord("ConcordServerCore")]),
    ("snapshot-file", [concord("ConcordServer"), concord("ConcordKV")]),
    ("grpc-framing", [concord("ConcordServer"), nio("NIOCore")]),
    ("redis-request", [concord("ConcordRedis"), concord("ConcordDynamo")]),
    ("zookeeper-connection", [concord("ConcordZooKeeper"), concord("ConcordFoundation")]),
    ("grpc-connection", [concord("ConcordServer"), nio("NIOCore"), nio("NIOEmbedded"), .product(name: "NIOHTTP2", package: "swift-nio-http2")]),
]

func concord(_ product: String) -> Target.Dependency { .product(name: product, package: "Concord") }
func nio(_ product: String) -> Target.Dependency { .product(name: product, package: "swift-nio") }

let package = Package(
    name: "ConcordFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Concord", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [.target(name: "FuzzSupport")]
        + fuzzTargets.map { target in
            .executableTarget(name: "fuzz-\(target.name)", dependencies: ["FuzzSupport"] + target.dependencies)
        }
)
