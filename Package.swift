// swift-tools-version: 6.1
// Concord: consensus, coordination, CRDTs, transactions and time, verified in
// a deterministic simulator. See docs/architecture.md for the layer rules.
import PackageDescription

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
        .library(name: "ConcordClocks", targets: ["ConcordClocks"]),
        .library(name: "ConcordCRDT", targets: ["ConcordCRDT"]),
        .library(name: "ConcordSimulation", targets: ["ConcordSimulation"]),
        .library(name: "ConcordChecker", targets: ["ConcordChecker"]),
        .library(name: "ConcordRaft", targets: ["ConcordRaft"]),
        .library(name: "ConcordTransactions", targets: ["ConcordTransactions"]),
        .library(name: "ConcordKV", targets: ["ConcordKV"]),
        .library(name: "ConcordStorage", targets: ["ConcordStorage"]),
        .library(name: "ConcordOutbox", targets: ["ConcordOutbox"]),
        .library(name: "ConcordLab", targets: ["ConcordLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Foundations: the standard library and swift-collections only.
        .target(name: "ConcordClocks"),
        .target(
            name: "ConcordCRDT",
            dependencies: ["ConcordClocks"]
        ),

        // Verification: foundations only, never a protocol core.
        .target(
            name: "ConcordSimulation",
            dependencies: [.product(name: "Collections", package: "swift-collections")]
        ),
        .target(name: "ConcordChecker"),

        // Protocol cores: value types, no I/O, no wall clock, no hidden randomness.
        .target(
            name: "ConcordRaft",
            dependencies: [.product(name: "Collections", package: "swift-collections")]
        ),
        .target(name: "ConcordTransactions"),
        .target(name: "ConcordKV"),

        // Runtime: files, processes, SQLite.
        .target(
            name: "ConcordStorage",
            dependencies: ["ConcordRaft"]
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
                "ConcordClocks", "ConcordCRDT", "ConcordSimulation", "ConcordChecker",
                "ConcordRaft", "ConcordTransactions", "ConcordKV",
            ]
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "ConcordLab", "ConcordChecker", "ConcordSimulation", "ConcordStorage", "ConcordOutbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ConcordClocksTests", dependencies: ["ConcordClocks", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordCRDTTests", dependencies: ["ConcordCRDT", "ConcordClocks", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordSimulationTests", dependencies: ["ConcordSimulation"]),
        .testTarget(name: "ConcordCheckerTests", dependencies: ["ConcordChecker", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordRaftTests", dependencies: ["ConcordRaft"]),
        .testTarget(name: "ConcordTransactionsTests", dependencies: ["ConcordTransactions"]),
        .testTarget(name: "ConcordKVTests", dependencies: ["ConcordKV", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordStorageTests", dependencies: ["ConcordStorage", "ConcordRaft", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConcordOutboxTests", dependencies: ["ConcordOutbox"]),
        .testTarget(name: "ConcordLabTests", dependencies: ["ConcordLab", "ConcordSimulation", "ConcordChecker", "ConcordRaft", "ConcordCRDT", "ConcordClocks", "ConcordTransactions", "ConcordKV"]),
    ]
)
