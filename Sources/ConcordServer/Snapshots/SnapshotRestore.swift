import ConcordRaft
import ConcordStorage
import Foundation

/// Writes a fresh data directory for one member of a new cluster from a
/// saved snapshot (`concord snapshot restore`, after etcd's
/// `etcdutl snapshot restore`).
///
/// The directory holds what a founding member's directory holds at its
/// first start — a snapshot at index 1, term 1 whose configuration is the
/// members of `--initial-cluster`, and commit index 1 — except that the
/// snapshot carries the saved key-value state instead of an empty one. Every
/// member restored from the same file with the same `--initial-cluster`
/// gets the same directory, so they start as one cluster, at the saved
/// revision, with the saved leases (each runs its full TTL again from the
/// new leader's election, as after any leader change). Nothing of the old
/// cluster's membership or log is kept.
public enum SnapshotRestore {
    /// Restores `file` into `dataDirectory` for member `name`.
    ///
    /// Everything is checked before anything is written; the directory is
    /// assembled beside `dataDirectory` and renamed into place, so a failure
    /// leaves nothing behind.
    /// - Parameters:
    ///   - advertisedPeerURLs: `--initial-advertise-peer-urls`; when given,
    ///     they must include the URL `members` gives `name` (as etcd checks).
    /// - Throws: `SnapshotRestoreError`.
    public static func restore(
        _ file: SnapshotFile, name: String, members: [ClusterMember], advertisedPeerURLs: [Endpoint]?,
        dataDirectory: String
    ) throws(SnapshotRestoreError) {
        guard let member = members.first(where: { $0.name == name }) else {
            throw .invalid("--initial-cluster does not name this member '\(name)'")
        }
        guard Set(members.map(\.id)).count == members.count else {
            throw .invalid("two member names in --initial-cluster hash to one id; rename one")
        }
        if let advertisedPeerURLs {
            let own = Endpoint(host: member.peerHost, port: member.peerPort)
            guard advertisedPeerURLs.contains(own) else {
                throw .invalid(
                    "--initial-advertise-peer-urls \(advertisedPeerURLs.map(\.description).joined(separator: ",")) "
                        + "does not include \(own), the URL --initial-cluster gives '\(name)'")
            }
        }
        guard !dataDirectory.isEmpty else { throw .invalid("--data-dir must not be empty") }
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .invalid("--data-dir \(dataDirectory) exists and is not a directory") }
            let contents = (try? fileManager.contentsOfDirectory(atPath: dataDirectory)) ?? []
            guard contents.isEmpty else {
                throw .invalid("--data-dir \(dataDirectory) already exists and is not empty; restore into a new directory")
            }
        }

        var durable = RaftDurableState.bootstrap(ConfigurationState(voters: Set(members.map(\.id))))
        durable.snapshot.data = file.stateBytes

        let trimmed = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        let staging = "\(trimmed).restoring-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite("cannot create \(staging): \(error)")
        }
        do throws(SnapshotRestoreError) {
            try write(durable, into: staging)
            // rename(2) moves the finished directory into place in one step,
            // replacing an empty directory of that name.
            guard rename(staging, trimmed) == 0 else {
                throw .cannotWrite("cannot rename \(staging) to \(trimmed): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? fileManager.removeItem(atPath: staging)
            throw error
        }
    }

    /// Stores `durable` in the empty directory `directory` and reads it back.
    private static func write(_ durable: RaftDurableState, into directory: String) throws(SnapshotRestoreError) {
        let written: RaftDurableState
        do {
            let store = try Storage.RaftLogStore.open(directory: directory, bootstrap: durable)
            defer { store.close() }
            written = try store.load()
        } catch {
            throw .cannotWrite("cannot write the data directory: \(error)")
        }
        guard written == durable else { throw .cannotWrite("the written data directory does not read back as written") }
    }
}

/// Why a restore wrote nothing.
public enum SnapshotRestoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A flag is wrong or the data directory is in use.
    case invalid(String)
    /// The file system refused.
    case cannotWrite(String)

    /// A message for the operator.
    public var description: String {
        switch self {
        case .invalid(let message), .cannotWrite(let message): message
        }
    }
}
