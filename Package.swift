// swift-tools-version: 6.1
// Concord: consensus, coordination, CRDTs, transactions and time, verified in
// a deterministic simulator. See docs/architecture.md for the layer rules.
import PackageDescription

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
        .library(name: "ConcordFoundation", targets: ["ConcordFoundation"]),
        .library(name: "ConcordClocks", targets: ["ConcordClocks"]),
        .library(name: "ConcordCRDT", targets: ["ConcordCRDT"]),
        .library(name: "ConcordSimulation", targets: ["ConcordSimulation"]),
        .library(name: "ConcordChecker", targets: ["ConcordChecker"]),
        .library(name: "ConcordRaft", targets: ["ConcordRaft"]),
        .library(name: "ConcordPaxos", targets: ["ConcordPaxos"]),
        .library(name: "ConcordTransactions", targets: ["ConcordTransactions"]),
        .library(name: "ConcordKV", targets: ["ConcordKV"]),
        .library(name: "ConcordDynamo", targets: ["ConcordDynamo"]),
        .library(name: "ConcordRedis", targets: ["ConcordRedis"]),
        .library(name: "ConcordZooKeeper", targets: ["ConcordZooKeeper"]),
        .library(name: "ConcordStorage", targets: ["ConcordStorage"]),
        .library(name: "ConcordOutbox", targets: ["ConcordOutbox"]),
        .library(name: "ConcordLab", targets: ["ConcordLab"]),
        .library(name: "ConcordEtcdAPI", targets: ["ConcordEtcdAPI"]),
        .library(name: "ConcordTransport", targets: ["ConcordTransport"]),
        .library(name: "ConcordServerCore", targets: ["ConcordServerCore"]),
        .library(name: "ConcordServer", targets: ["ConcordServer"]),
        .library(name: "ConcordClient", targets: ["ConcordClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Runtime: sockets, gRPC, wire messages, logs, metrics, lifecycle.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Benchmarks: latency histograms.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Foundations: the standard library and swift-collections only.
        .target(name: "ConcordFoundation"),
        .target(name: "ConcordClocks", dependencies: ["ConcordFoundation"]),
        .target(
            name: "ConcordCRDT",
            dependencies: ["ConcordFoundation", "ConcordClocks"]
        ),

        // Verification: foundations only, never a protocol core.
        .target(
            name: "ConcordSimulation",
            dependencies: ["ConcordFoundation", .product(name: "Collections", package: "swift-collections")]
        ),
        .target(name: "ConcordChecker", dependencies: ["ConcordFoundation"]),

        // Protocol cores: value types, no I/O, no wall clock, no hidden randomness.
        .target(
            name: "ConcordRaft",
            dependencies: ["ConcordFoundation", .product(name: "Collections", package: "swift-collections")]
        ),
        .target(
            name: "ConcordPaxos",
            dependencies: ["ConcordFoundation", .product(name: "Collections", package: "swift-collections")]
        ),
        .target(
            name: "ConcordZooKeeper",
            dependencies: ["ConcordFoundation", .product(name: "DequeModule", package: "swift-collections")]
        ),
        .target(name: "ConcordTransactions", dependencies: ["ConcordFoundation"]),
        .target(name: "ConcordKV", dependencies: ["ConcordFoundation"]),
        .target(name: "ConcordDynamo", dependencies: ["ConcordFoundation", "ConcordClocks", "ConcordCRDT"]),
        .target(name: "ConcordRedis", dependencies: ["ConcordFoundation", "ConcordClocks", "ConcordDynamo"]),
        .target(
            name: "ConcordServerCore",
            dependencies: ["ConcordFoundation", "ConcordRaft", "ConcordPaxos", "ConcordKV", "ConcordDynamo", "ConcordZooKeeper", .product(name: "DequeModule", package: "swift-collections")]
        ),

        // Runtime: files, processes, SQLite.
        .target(
            name: "ConcordStorage",
            dependencies: ["ConcordFoundation", "ConcordRaft"]
        ),
        .target(
            name: "ConcordEtcdAPI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "ConcordTransport",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CLibCrypt", path: "Sources/CLibCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(
            name: "ConcordServer",
            dependencies: [
                "CLibCrypt", "CMalloc",
                "ConcordFoundation", "ConcordRaft", "ConcordKV", "ConcordServerCore", "ConcordStorage", "ConcordTransport", "ConcordEtcdAPI",
                "ConcordDynamo", "ConcordRedis", "ConcordZooKeeper",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ConcordClient",
            dependencies: [
                "ConcordEtcdAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "ConcordOutbox",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),

        // Apps: the scenarios that wire cores to the simulator and checkers,
        // shared by `concord sim` and the tests, and the command-line tool.
        .target(
            name: "ConcordLab",
            dependencies: [
                "ConcordFoundation", "ConcordClocks", "ConcordCRDT", "ConcordSimulation", "ConcordChecker",
                "ConcordRaft", "ConcordPaxos", "ConcordTransactions", "ConcordKV", "ConcordServerCore", "ConcordStorage", "ConcordDynamo",
                "ConcordZooKeeper",
            ]
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "ConcordFoundation", "ConcordLab", "ConcordChecker", "ConcordSimulation", "ConcordStorage", "ConcordOutbox",
                "ConcordServer", "ConcordServerCore", "ConcordTransport", "ConcordClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(name: "ConcordFoundationTests", dependencies: ["ConcordFoundation", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordClocksTests", dependencies: ["ConcordFoundation", "ConcordClocks", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordCRDTTests", dependencies: ["ConcordFoundation", "ConcordCRDT", "ConcordClocks", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordSimulationTests", dependencies: ["ConcordFoundation", "ConcordSimulation"]),
        .testTarget(name: "ConcordCheckerTests", dependencies: ["ConcordFoundation", "ConcordChecker", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordRaftTests", dependencies: ["ConcordFoundation", "ConcordRaft"]),
        .testTarget(name: "ConcordPaxosTests", dependencies: ["ConcordFoundation", "ConcordPaxos"]),
        .testTarget(
            name: "ConcordServerCoreTests",
            dependencies: ["ConcordFoundation", "ConcordServerCore", "ConcordRaft", "ConcordPaxos", "ConcordKV", "ConcordDynamo", "ConcordZooKeeper"]
        ),
        .testTarget(name: "ConcordTransactionsTests", dependencies: ["ConcordTransactions"]),
        .testTarget(name: "ConcordDynamoTests", dependencies: ["ConcordFoundation", "ConcordClocks", "ConcordCRDT", "ConcordDynamo"]),
        .testTarget(
            name: "ConcordRedisTests",
            dependencies: [
                "ConcordFoundation", "ConcordClocks", "ConcordDynamo", "ConcordRedis",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "ConcordKVTests", dependencies: ["ConcordKV", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordZooKeeperTests", dependencies: ["ConcordFoundation", "ConcordZooKeeper", "ConcordChecker"]),
        .testTarget(name: "ConcordStorageTests", dependencies: ["ConcordFoundation", "ConcordStorage", "ConcordRaft", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordOutboxTests", dependencies: ["ConcordOutbox"]),
        .testTarget(
            name: "ConcordTransportTests",
            dependencies: [
                "ConcordTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ConcordServerTests",
            dependencies: [
                "ConcordServer", "ConcordRaft", "ConcordKV", "ConcordChecker", "ConcordEtcdAPI", "ConcordTransport",
                "ConcordSimulation", "ConcordFoundation", "ConcordServerCore", "ConcordPaxos", "ConcordStorage",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(name: "ConcordClientTests", dependencies: ["ConcordClient", "ConcordEtcdAPI"]),
        .testTarget(name: "ConcordLabTests", dependencies: ["ConcordFoundation", "ConcordLab", "ConcordSimulation", "ConcordChecker", "ConcordRaft", "ConcordPaxos", "ConcordCRDT", "ConcordClocks", "ConcordTransactions", "ConcordKV", "ConcordDynamo", "ConcordZooKeeper"]),
    ]
)
