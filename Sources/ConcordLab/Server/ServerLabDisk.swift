import ConcordFoundation
import ConcordRaft
import ConcordSimulation
import ConcordStorage

/// A simulated server's disk: Concord's real write-ahead log and snapshot
/// files (`RaftLogStore`) on the crash-simulating file system.
///
/// The file system defers durability (`defersDurability`): a persist request
/// is written through the real storage code at once, but its writes and
/// syncs become durable only when the simulator's disk reports the write
/// synced after its latency (`onDurable`). A crash before that keeps a
/// random prefix of the writes in the order they were made, the last one
/// possibly torn; the real recovery code then trims the torn tail on
/// restart. The simulator hands the file system back at the restart as the
/// node's durable state.
struct ServerLabDisk {
    /// The file system: the node's durable state as the simulator holds it.
    let files: Storage.SimulatedFileSystem
    let store: Storage.RaftLogStore
    /// Persist tokens handed to the simulator's disk, with the core's
    /// persist sequence each covers.
    private var tokens: [(token: PersistToken, sequence: UInt64)] = []

    static let directory = "/data"
    /// How far the stored commit index may trail, as the runtime's pipeline allows.
    static let commitLagMax: UInt64 = 1000

    /// Why the disk could not be opened: a damaged file the storage refused.
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens the disk: a new one holding `bootstrap` durably (`files == nil`),
    /// or the one a crashed node left, after its unsynced writes are lost.
    init(
        files existing: Storage.SimulatedFileSystem?, bootstrap: RaftDurableState, segmentBytes: Int,
        random: inout SeededRandom
    ) throws(Refused) {
        let files: Storage.SimulatedFileSystem
        if let existing {
            existing.crashKeepingPrefix(using: &random)
            files = existing
        } else {
            files = Storage.SimulatedFileSystem()
        }
        do {
            try files.createDirectory(Self.directory)
            store = try Storage.RaftLogStore.open(
                directory: Self.directory, bootstrap: bootstrap, fileSystem: files,
                configuration: Storage.LogConfiguration(segmentBytes: segmentBytes, recordPayloadBytesMax: segmentBytes / 2))
        } catch {
            throw Refused(description: "\(error)")
        }
        // The founding state is durable before the node runs; from here on
        // writes wait for the simulated disk.
        files.makeEverythingDurable()
        files.defersDurability = true
        self.files = files
    }

    /// Everything the storage holds, to start the core from.
    func load() throws(Refused) -> RaftDurableState {
        do {
            return try store.load()
        } catch {
            throw Refused(description: "\(error)")
        }
    }

    /// Writes the core's persist requests and hands the disk to the
    /// simulator to sync.
    mutating func persist<Message>(_ requests: [PersistRequest], _ context: inout NodeContext<Message, Storage.SimulatedFileSystem>) {
        guard let last = requests.last else { return }
        do {
            try store.persist(batch: requests, commitLagMax: Self.commitLagMax)
        } catch {
            preconditionFailure("the simulated disk refused a write: \(error)")
        }
        tokens.append((context.persist(files), last.sequence))
    }

    /// The simulated disk synced up to `token`: everything written so far is
    /// durable. Returns the highest persist sequence now durable, if any.
    mutating func durable(upTo token: PersistToken) -> UInt64? {
        var sequence: UInt64?
        while let first = tokens.first, first.token <= token {
            sequence = first.sequence
            tokens.removeFirst()
        }
        if sequence != nil { files.makeEverythingDurable() }
        return sequence
    }
}
