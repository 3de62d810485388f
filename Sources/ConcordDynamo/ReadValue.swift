import ConcordFoundation

/// One field of a map and the concurrent values of its register.
public struct MapField: Hashable, Sendable {
    /// The field.
    public var field: ByteString
    /// Its values: one, or several written concurrently.
    public var values: [ByteString]

    /// A field and its values.
    public init(field: ByteString, values: [ByteString]) {
        self.field = field
        self.values = values
    }
}

/// What a read returns, by the kind of the key.
public enum ReadValue: Hashable, Sendable, CustomStringConvertible {
    /// No value: never written, deleted, or an empty collection.
    case absent
    /// Sibling mode: the values of the concurrent versions, in dot order;
    /// `includesDeletion` when a deletion is concurrent with them.
    case siblings([ByteString], includesDeletion: Bool)
    /// Last-writer-wins mode: the winning value.
    case value(ByteString)
    /// A counter's value.
    case counter(Int64)
    /// A set's elements, in order.
    case set([ByteString])
    /// A map's fields, in order.
    case map([MapField])
    /// A register's concurrent values.
    case register([ByteString])
    /// A flag.
    case flag(Bool)

    /// The values a sibling or last-writer-wins read found (empty when absent).
    public var values: [ByteString] {
        switch self {
        case .siblings(let values, _), .register(let values): values
        case .value(let value): [value]
        default: []
        }
    }

    public var description: String {
        switch self {
        case .absent: "absent"
        case .siblings(let values, let deleted):
            "{" + values.map(\.description).joined(separator: ", ") + (deleted ? ", deleted" : "") + "}"
        case .value(let value): "\(value)"
        case .counter(let value): "counter \(value)"
        case .set(let elements): "set {" + elements.map(\.description).joined(separator: ", ") + "}"
        case .map(let fields):
            "map {" + fields.map { "\($0.field): \($0.values.map(\.description).joined(separator: "|"))" }.joined(separator: ", ") + "}"
        case .register(let values): "register {" + values.map(\.description).joined(separator: ", ") + "}"
        case .flag(let enabled): "flag \(enabled)"
        }
    }
}
