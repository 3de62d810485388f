/// Causal mode: pending writes become visible once their dependencies are.
///
/// A dependency `(key, version)` is visible when every replica of `key`
/// (its first N members) covers `version` with its visible copy; a
/// replica answers for itself (`dependencyCheck`), and a member holding
/// pending writes asks until all agree, then merges each write whose
/// dependencies are all visible. Visible dependencies stay visible
/// (copies only grow), so the answers are cached.
struct CausalState: Sendable {
    /// A check in progress.
    struct Check: Sendable {
        var dependency: Dependency
        var asked: [MemberID]
        var covered: Set<MemberID> = []
        var abandonAt: UInt64
    }

    var checks: [UInt64: Check] = [:]
    /// Dependencies known visible.
    var visible: Set<Dependency> = []
    /// The most dependencies remembered as visible.
    static let visibleRememberedMax = 4_096
}

extension DynamoNode {
    /// Whether this member's visible copy covers `dependency`.
    func isVisible(_ dependency: Dependency) -> Bool {
        guard let copy = objects[dependency.key] else { return dependency.version.isEmpty }
        return copy.version.covers(dependency.version)
    }

    /// Shows what can be shown, and asks about the rest.
    mutating func checkDependencies(_ output: inout DynamoOutput) {
        for (id, check) in causal.checks where ticks >= check.abandonAt {
            causal.checks[id] = nil
        }
        let open = Set(causal.checks.values.map(\.dependency))
        var asked: Set<Dependency> = []
        for key in pending.keys.sorted() {
            showReadyWrites(of: key, &output)
            for write in pending[key] ?? [] {
                for dependency in write.dependencies
                where !causal.visible.contains(dependency) && !open.contains(dependency) && !asked.contains(dependency) {
                    asked.insert(dependency)
                    startCheck(dependency, &output)
                }
            }
        }
    }

    mutating func startCheck(_ dependency: Dependency, _ output: inout DynamoOutput) {
        let replicas = ringReplicas(of: dependency.key)
        var check = CausalState.Check(
            dependency: dependency, asked: replicas, abandonAt: ticks + UInt64(settings.requestTimeoutTicks))
        if replicas.contains(member) {
            guard isVisible(dependency) else { return }
            check.covered.insert(member)
        }
        let id = makeIdentifier()
        causal.checks[id] = check
        for replica in replicas where replica != member {
            output.send(.dependencyCheck(check: id, dependency: dependency), to: replica)
        }
        concludeCheck(id, &output)
    }

    mutating func onDependencyAnswer(check id: UInt64, covered: Bool, from: MemberID, _ output: inout DynamoOutput) {
        guard var check = causal.checks[id], check.asked.contains(from) else { return }
        guard covered else {
            causal.checks[id] = nil
            return
        }
        check.covered.insert(from)
        causal.checks[id] = check
        concludeCheck(id, &output)
    }

    mutating func concludeCheck(_ id: UInt64, _ output: inout DynamoOutput) {
        guard let check = causal.checks[id], check.asked.allSatisfy(check.covered.contains) else { return }
        causal.checks[id] = nil
        if causal.visible.count >= CausalState.visibleRememberedMax { causal.visible.removeAll() }
        causal.visible.insert(check.dependency)
        for key in pending.keys.sorted() where pending[key]!.contains(where: { $0.dependencies.contains(check.dependency) }) {
            showReadyWrites(of: key, &output)
        }
    }

    /// Merges into the visible copy every pending write of `key` whose
    /// dependencies are all visible.
    mutating func showReadyWrites(of key: ByteString, _ output: inout DynamoOutput) {
        guard let writes = pending[key] else { return }
        let ready = writes.filter { $0.dependencies.allSatisfy(causal.visible.contains) }
        guard !ready.isEmpty else { return }
        for write in ready {
            mergeCopy(write.object, for: key, &output)
        }
        statistics.causalWritesShown += ready.count
        setPending(key, writes.filter { !ready.contains($0) }, &output)
        output.notes.append("\(key): \(ready.count) causal writes visible")
    }
}
