import ArgumentParser
import ConcordServer
import Foundation

/// `concord snapshot`: reads a snapshot saved with `etcdctl snapshot save`
/// from a Concord member. Concord's snapshot is not a bbolt file, so
/// etcdctl's own `snapshot status` and `snapshot restore` cannot read it;
/// these do.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Restore or inspect a snapshot saved with `etcdctl snapshot save` from Concord.",
        subcommands: [SnapshotRestoreCommand.self, SnapshotStatusCommand.self]
    )
}

/// A refused snapshot command: printed as "Error: <message>", exit status 1.
struct SnapshotCommandError: Error, CustomStringConvertible {
    var description: String
}

/// Reads and checks a saved snapshot, turning every refusal into a
/// command-line error.
func readSnapshotFile(_ path: String) throws -> SnapshotFile {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw SnapshotCommandError(description: "cannot read snapshot file \(path)")
    }
    do {
        return try SnapshotFile(contents: [UInt8](data))
    } catch {
        throw SnapshotCommandError(description: "\(path): \(error)")
    }
}

/// `concord snapshot restore FILE`: a new data directory for one member of a
/// new cluster (etcd's flag names).
struct SnapshotRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Write a new member's data directory from a saved snapshot.",
        discussion: """
            Run once per member of the new cluster, with the same file and the same
            --initial-cluster; then start each member with `concord server` and the
            same --name, --data-dir and --initial-cluster. The new cluster has the
            snapshot's keys, revision and leases, and the membership of
            --initial-cluster. An existing non-empty --data-dir, a corrupted or
            truncated file, or a bad flag is refused and nothing is written.
            """
    )

    @Argument(help: "The snapshot file saved with `etcdctl snapshot save`.")
    var file: String

    @Option(help: "This member's name; must appear in --initial-cluster.")
    var name: String

    @Option(name: .customLong("initial-cluster"), help: "Every member of the new cluster: name=http://host:port,...")
    var initialCluster: String

    @Option(
        name: .customLong("initial-advertise-peer-urls"),
        help: "This member's peer URLs; must include its --initial-cluster URL.")
    var initialAdvertisePeerURLs: String?

    @Option(name: .customLong("data-dir"), help: "The data directory to create; must not exist or be empty.")
    var dataDir: String

    func run() async throws {
        let members: [ClusterMember]
        let advertised: [Endpoint]?
        do {
            members = try ClusterMember.parseCluster(initialCluster)
            advertised = try initialAdvertisePeerURLs.map { list in
                try list.split(separator: ",").map { try Endpoint.parse(String($0), flag: "--initial-advertise-peer-urls") }
            }
        } catch {
            throw ValidationError("\(error)")
        }
        let snapshot = try readSnapshotFile(file)
        do {
            try SnapshotRestore.restore(
                snapshot, name: name, members: members, advertisedPeerURLs: advertised, dataDirectory: dataDir)
        } catch {
            throw SnapshotCommandError(description: "\(error)")
        }
        print("restored snapshot \(file) (revision \(snapshot.revision), \(snapshot.totalKeys) keys) into \(dataDir) for member \(name)")
    }
}

/// `concord snapshot status FILE`: the hash, revision, key count and size
/// of a saved snapshot, in etcdctl's layouts.
struct SnapshotStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a saved snapshot's hash, revision, total keys and total size.",
        discussion: """
            HASH is the HashKV hash at the snapshot's revision (what `etcdctl endpoint
            hashkv` answered for that revision), TOTAL KEYS the keys live at that
            revision, TOTAL SIZE the file's size. A corrupted or truncated file is refused.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case simple, table, json
    }

    @Argument(help: "The snapshot file saved with `etcdctl snapshot save`.")
    var file: String

    @Option(name: [.customShort("w"), .customLong("write-out")], help: "simple, table or json.")
    var writeOut: Format = .simple

    func run() async throws {
        let snapshot = try readSnapshotFile(file)
        print(SnapshotStatusReport(snapshot).render(writeOut))
    }
}

/// A snapshot's status in etcdctl's `snapshot status` layouts.
struct SnapshotStatusReport {
    var hash: UInt32
    var revision: Int64
    var totalKeys: Int64
    var totalBytes: Int

    init(_ snapshot: SnapshotFile) {
        hash = snapshot.hash
        revision = snapshot.revision
        totalKeys = snapshot.totalKeys
        totalBytes = snapshot.fileBytes
    }

    var hexHash: String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    func render(_ format: SnapshotStatusCommand.Format) -> String {
        switch format {
        case .simple:
            return "\(hexHash), \(revision), \(totalKeys), \(totalBytes) B"
        case .json:
            return "{\"hash\":\(hash),\"revision\":\(revision),\"totalKey\":\(totalKeys),\"totalSize\":\(totalBytes)}"
        case .table:
            let header = ["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"]
            let row = [hexHash, "\(revision)", "\(totalKeys)", "\(totalBytes) B"]
            let widths = zip(header, row).map { max($0.count, $1.count) + 2 }
            let rule = "+" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "+") + "+"
            func line(_ cells: [String]) -> String {
                "|" + zip(cells, widths).map { cell, width in
                    let padding = width - cell.count - 1
                    return " " + cell + String(repeating: " ", count: padding)
                }.joined(separator: "|") + "|"
            }
            return [rule, line(header), rule, line(row), rule].joined(separator: "\n")
        }
    }
}
