import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The scenarios real ZooKeeper clients run (Tests/ZooKeeperClients): the
/// same file `bench/kazoo-on-zookeeper.sh` runs against Apache ZooKeeper
/// 3.8, so what is asked of Concord here is shown to hold on ZooKeeper.
private let scenarioScript = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("ZooKeeperClients/kazoo_acceptance.py").path

/// Debian's zkCli (package `zookeeper`).
private let zkCliScript = "/usr/share/zookeeper/bin/zkCli.sh"

/// Runs one scenario with Debian's Python (python3-kazoo) and returns its
/// output; a scenario that fails (exits non-zero) throws with its output.
private func scenario(_ arguments: [String], timeoutSeconds: Double = 180) async throws -> String {
    let result = try await runCommand("/usr/bin/python3", [scenarioScript] + arguments, timeoutSeconds: timeoutSeconds)
    guard result.status == 0 else {
        throw HarnessError(description: "scenario \(arguments.first ?? "") exited \(result.status):\n\(result.output)\n\(result.error)")
    }
    // The scenarios' measurements (how long a move or an expiry took) for the log.
    print(result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") || $0.hasPrefix("recorded ") }.joined(separator: "\n"))
    return result.output
}

extension ProcessCluster {
    /// Every node's ZooKeeper address, as a client's connect string lists them.
    var zooKeeperHosts: String { nodes.map { "127.0.0.1:\($0.zooKeeperPort!)" }.joined(separator: ",") }

    /// `port=pid` for every running node, as the move scenario takes them.
    var zooKeeperProcesses: String {
        nodes.compactMap { node in node.process.map { "\(node.zooKeeperPort!)=\($0.processIdentifier)" } }.joined(separator: ",")
    }

    /// Waits until every running node answers `ruok` on its ZooKeeper port.
    func waitForZooKeeper(seconds: Double) async throws {
        for index in nodes.indices where isRunning(index) {
            let port = nodes[index].zooKeeperPort!
            try await waitUntil("\(nodes[index].name) to answer ruok", seconds: seconds) {
                try await fourLetterWord("ruok", port: port) == "imok"
            }
        }
    }
}

/// Sends a four-letter word and returns the answer up to the close.
private func fourLetterWord(_ word: String, port: Int) async throws -> String {
    let result = try await runCommand(
        "/usr/bin/python3",
        [
            "-c",
            "import socket,sys; s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=3); s.sendall(sys.argv[2].encode()); "
                + "d=b''\nwhile True:\n c=s.recv(4096)\n if not c: break\n d+=c\nsys.stdout.write(d.decode())",
            "\(port)", word,
        ], timeoutSeconds: 10)
    guard result.status == 0 else { throw HarnessError(description: "\(word) on \(port): \(result.error)") }
    return result.output
}

@Suite(.serialized)
struct ZooKeeperAcceptanceTests {
    /// kazoo's API and recipes, zkCli, and bad input, on three processes.
    @Test func kazooRecipesZkCliAndBadInput() async throws {
        try #require(FileManager.default.fileExists(atPath: zkCliScript), "install Debian's zookeeper package")
        try await ProcessCluster.withRunningCluster(size: 3, zooKeeper: true) { cluster in
            try await cluster.waitForZooKeeper(seconds: 20)
            let hosts = cluster.zooKeeperHosts
            #expect(try await scenario(["basics", hosts]).contains("ok basics"))
            #expect(try await scenario(["ephemerals", hosts]).contains("ok ephemerals"))
            #expect(try await scenario(["lock", hosts]).contains("ok lock"))
            #expect(try await scenario(["election", hosts]).contains("ok election"))
            #expect(try await scenario(["barriers", hosts]).contains("ok barriers"))
            #expect(try await scenario(["recipes", hosts]).contains("ok counter, party, watches"))
            #expect(try await scenario(["zkcli", hosts, zkCliScript]).contains("ok zkCli"))
            #expect(try await scenario(["bad-input", hosts]).contains("ok bad input"))
            // Every member still serves after the bad input.
            for index in cluster.nodes.indices {
                #expect(try await fourLetterWord("ruok", port: cluster.nodes[index].zooKeeperPort!) == "imok")
            }
        }
    }

    /// kill -9 of the member a kazoo client is connected to: the session
    /// moves within its timeout, with its ephemeral node and its watches;
    /// kill -9 of a lock holder's client frees the lock only once the
    /// holder's session has expired.
    @Test func sessionMovesAndLockHolderKilled() async throws {
        try await ProcessCluster.withRunningCluster(size: 3, zooKeeper: true) { cluster in
            try await cluster.waitForZooKeeper(seconds: 20)
            let output = try await scenario(["move", cluster.zooKeeperHosts, cluster.zooKeeperProcesses])
            #expect(output.contains("ok move"))
            let killed = cluster.nodes.indices.filter { !cluster.isRunning($0) }
            #expect(killed.count == 1)
            #expect(try await scenario(["lock-holder-killed", cluster.zooKeeperHosts]).contains("ok lock holder killed"))
        }
    }

    /// One lock, four kazoo contenders, while each member in turn is killed
    /// (SIGKILL) and started again: the recorded history never has two
    /// holders at once (unless the earlier one's session was lost).
    @Test func lockUnderRepeatedServerKills() async throws {
        try await ProcessCluster.withRunningCluster(size: 3, zooKeeper: true) { cluster in
            try await cluster.waitForZooKeeper(seconds: 20)
            let record = cluster.root.appendingPathComponent("lock-history.json").path
            async let contenders = scenario(["lock-history", cluster.zooKeeperHosts, "40", record], timeoutSeconds: 120)
            for index in cluster.nodes.indices {
                try await Task.sleep(for: .seconds(4))
                cluster.kill9(index)
                try await Task.sleep(for: .seconds(1))
                try cluster.start(index)
                try await cluster.waitForLeader(seconds: 20)
                try await Task.sleep(for: .seconds(5))
            }
            let recorded = try await contenders
            #expect(recorded.contains("recorded"))
            #expect(try await scenario(["check-lock-history", record]).contains("ok lock history"))
        }
    }

    /// The history check is able to fail: two overlapping holds, neither
    /// of whose sessions was lost, are refused.
    @Test func lockHistoryCheckRefusesTwoHolders() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zk-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var holds = (0..<12).map { i in #"{"who": \#(i % 3), "start": \#(Double(i)), "end": \#(Double(i) + 0.5), "lost": false}"# }
        let good = directory.appendingPathComponent("good.json")
        try Data(#"{"history": [\#(holds.joined(separator: ","))], "failures": []}"#.utf8).write(to: good)
        #expect(try await scenario(["check-lock-history", good.path]).contains("ok lock history"))
        holds.append(#"{"who": 1, "start": 3.25, "end": 3.4, "lost": false}"#)
        let bad = directory.appendingPathComponent("bad.json")
        try Data(#"{"history": [\#(holds.joined(separator: ","))], "failures": []}"#.utf8).write(to: bad)
        await #expect(throws: HarnessError.self) { try await scenario(["check-lock-history", bad.path]) }
    }

    /// `zks://`: the ZooKeeper port with the client TLS flags and
    /// `--client-cert-auth`, driven by kazoo over TLS; clients without a
    /// certificate, or in plaintext, get no session.
    @Test func kazooOverTLSWithAClientCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-zk-tls-\(UUID().uuidString)")
        let certificates = try await TestCertificates.make(in: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["n1", "n2", "n3"] { try await certificates.issue(name) }
        let client = try await certificates.issue("client")
        let tls = ProcessCluster.TLS(certificates: certificates, client: client)
        try await ProcessCluster.withRunningCluster(size: 3, tls: tls, zooKeeper: true) { cluster in
            for index in cluster.nodes.indices {
                let port = cluster.nodes[index].zooKeeperPort!
                try await waitUntil("\(cluster.nodes[index].name) to serve zks://", seconds: 20) {
                    cluster.log(index).contains("serving zookeeper clients on zks://127.0.0.1:\(port)")
                }
            }
            let output = try await scenario(["tls", cluster.zooKeeperHosts, certificates.authority, client.certificate, client.key])
            #expect(output.contains("ok tls"))
        }
    }

    /// `--listen-zookeeper-urls` takes zk://host:port, host:port or
    /// zks://host:port (with the TLS flags) and refuses anything else
    /// before the member starts.
    @Test func badZooKeeperURLsAreRefused() async throws {
        let binary = try concordBinary().path
        for (url, message) in [
            ("http://127.0.0.1:2181", "must be zk://host:port"), ("zks://127.0.0.1:2181", "must be provided for zookeeper url zks://127.0.0.1:2181"),
            ("zk://127.0.0.1", "must be zk://host:port"), ("zk://127.0.0.1:99999", "must be zk://host:port"),
        ] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zk-url-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let result = try await runCommand(
                binary,
                [
                    "server", "--name", "n1", "--data-dir", directory, "--listen-peer-urls", "http://127.0.0.1:1",
                    "--listen-client-urls", "http://127.0.0.1:2", "--initial-cluster", "n1=http://127.0.0.1:1",
                    "--listen-zookeeper-urls", url,
                ])
            #expect(result.status != 0, "\(url) was accepted")
            #expect(result.error.contains(message), "\(url): \(result.error)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/snapshot-0000000000000000"), "\(url)")
        }
    }
}
