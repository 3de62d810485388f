import ConcordClocks
import ConcordDynamo

/// Readable names for the actors in version vectors: `n2.3` is member 2 in
/// actor epoch 3 (see ``Actor``). The lab's members and epochs are small,
/// so a table of every pair finds them.
enum DynamoLabActors {
    static let membersMax: UInt64 = 16
    static let epochsMax: UInt64 = 64

    static let names: [ReplicaID: String] = {
        var names: [ReplicaID: String] = [:]
        for member in 1...membersMax {
            for epoch in 1...epochsMax {
                names[Actor.replica(member: MemberID(member), epoch: epoch)] = "n\(member).\(epoch)"
            }
        }
        return names
    }()

    /// `[n1.1:2 n2.1:1]`.
    static func describe(_ vector: VersionVector) -> String {
        let parts = vector.entries.map { (names[$0.key] ?? "\($0.key)", $0.value) }.sorted { $0.0 < $1.0 }
        return "[" + parts.map { "\($0.0):\($0.1)" }.joined(separator: " ") + "]"
    }

    static func describe(_ outcome: ClientOutcome) -> String {
        switch outcome {
        case .read(let value, let context): "read \(value) context \(describe(context))"
        case .written(let value, let version): "written, copy now \(value) version \(describe(version))"
        default: "\(outcome)"
        }
    }
}
