import ConcordKV

/// The replicated state machine of the MVCC lab: Concord's `MVCCStore` and
/// a session table that remembers, per client, the last sequence number
/// applied and its answer, so that a write retried after a lost answer
/// takes effect once (Raft thesis §6.3).
struct MVCCStateMachine: Sendable {
    private(set) var store = MVCCStore()
    private(set) var sessions: [UInt64: Session] = [:]
    /// A test-only bug to re-introduce, or nil.
    let bug: MVCCLabBug?

    struct Session: Sendable, Hashable {
        var sequence: UInt64
        var answer: MVCCLabAnswer
    }

    init(bug: MVCCLabBug?) {
        self.bug = bug
    }

    /// Applies a committed entry; a duplicate returns the remembered answer
    /// and changes nothing. Returns nil for an entry older than the
    /// session's last one (the client has moved on).
    mutating func apply(_ entry: MVCCLabEntry) -> MVCCLabAnswer? {
        if let session = sessions[entry.clientID], entry.sequence <= session.sequence {
            return entry.sequence == session.sequence ? session.answer : nil
        }
        var command = entry.command
        if bug == .txnIgnoresCompare, case .txn(var request) = command {
            request.compare = []
            command = .txn(request)
        }
        let answer: MVCCLabAnswer
        do {
            switch try store.apply(command) {
            case .txn(let response): answer = .written(succeeded: response.succeeded)
            case .put, .deleteRange, .compact: answer = .written(succeeded: true)
            }
        } catch {
            answer = .refused(error)
        }
        sessions[entry.clientID] = Session(sequence: entry.sequence, answer: answer)
        return answer
    }

    /// Applies a command the servers propose themselves (a compaction),
    /// outside any session. Returns false when the store refused it (for
    /// example, another leader's compaction got there first).
    mutating func applyServerCommand(_ command: ConcordKV.KVCommand) -> Bool {
        (try? store.apply(command)) != nil
    }

    /// Serves a read (after a ReadIndex): the value of the first key read.
    func read(_ request: RangeRequest) -> MVCCLabAnswer {
        var request = request
        if bug == .staleRange {
            request.revision = max(store.currentRevision - 1, store.compactedRevision, MVCCStore.initialRevision)
        }
        do {
            let response = try store.range(request)
            return .value(response.kvs.first.map { String(decoding: $0.value, as: UTF8.self) })
        } catch {
            return .refused(error)
        }
    }

    /// The sessions and the store's own snapshot.
    func snapshot() -> [UInt8] {
        var bytes: [UInt8] = []
        func word(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        word(UInt64(sessions.count))
        for client in sessions.keys.sorted() {
            let session = sessions[client]!
            word(client)
            word(session.sequence)
            switch session.answer {
            case .written(let succeeded): bytes.append(succeeded ? 1 : 0)
            case .refused(let error): bytes += [2, UInt8(KVError.allCases.firstIndex(of: error)!)]
            case .value: preconditionFailure("reads are not logged, so no session remembers one")
            }
        }
        return bytes + store.snapshot()
    }

    /// Restores a snapshot; empty bytes are the empty state machine.
    init(snapshot bytes: [UInt8], bug: MVCCLabBug?) throws(KVDecodingError) {
        self.bug = bug
        guard !bytes.isEmpty else { return }
        var offset = 0
        func word() throws(KVDecodingError) -> UInt64 {
            guard bytes.count - offset >= 8 else { throw .truncated }
            defer { offset += 8 }
            return MVCCLabEntry.word(bytes, at: offset)
        }
        let count = try word()
        guard count <= UInt64(bytes.count / 17) else { throw .lengthTooLarge(count) }
        for _ in 0..<count {
            let client = try word()
            let sequence = try word()
            guard offset < bytes.count else { throw .truncated }
            let tag = bytes[offset]
            offset += 1
            let answer: MVCCLabAnswer
            switch tag {
            case 0, 1: answer = .written(succeeded: tag == 1)
            case 2:
                guard offset < bytes.count else { throw .truncated }
                let index = Int(bytes[offset])
                offset += 1
                guard index < KVError.allCases.count else { throw .unknownTag(field: "session error", tag: UInt8(index)) }
                answer = .refused(KVError.allCases[index])
            default: throw .unknownTag(field: "session answer", tag: tag)
            }
            sessions[client] = Session(sequence: sequence, answer: answer)
        }
        store = try MVCCStore(snapshot: Array(bytes[offset...]))
    }
}
