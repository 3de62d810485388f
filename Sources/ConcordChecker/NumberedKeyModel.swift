/// ``KVModel/KeyModel`` with every value of one key's history replaced by a
/// number (0 for absent), so that the search compares and hashes integers
/// instead of strings. The rules are the same, value for value; the kv
/// check searches with this model and writes its account of a failure with
/// the strings again.
struct NumberedKeyModel: SequentialModel {
    /// A kv operation's arguments, values numbered.
    struct Input: Sendable, Hashable {
        var function: HistoryEvent.Function
        /// For `put` and `cas`, the number of the value written.
        var value: Int32
        /// For `cas`, the number of the value expected.
        var expected: Int32
    }

    /// A kv operation's result, values numbered.
    enum Output: Sendable, Hashable {
        case value(Int32)
        case done
        case notSwapped
    }

    typealias State = Int32

    /// The number of absence.
    static let absent: Int32 = 0

    var initialState: Int32 { Self.absent }

    func step(_ state: Int32, _ input: Input, _ output: Output?) -> Int32? {
        switch (input.function, output) {
        case (.get, nil): state
        case (.get, .value(let read)?): read == state ? state : nil
        case (.put, nil), (.put, .done?): input.value
        case (.delete, nil), (.delete, .done?): Self.absent
        case (.cas, nil): state == input.expected ? input.value : state
        case (.cas, .done?): state == input.expected ? input.value : nil
        case (.cas, .notSwapped?): state == input.expected ? nil : state
        default: nil
        }
    }

    func isReadOnly(input: Input, output: Output?) -> Bool {
        switch (input.function, output) {
        case (.get, .value?), (.cas, .notSwapped?): true
        default: false
        }
    }

    func describe(state: Int32) -> String { "value #\(state)" }

    func describe(input: Input, output: Output?) -> String { "\(input.function.rawValue) #\(input.value)" }
}

/// Numbers the values of one key's operations, absence being 0.
struct ValueNumbering {
    private var numbers: [String: Int32] = [:]
    /// The value of each number.
    private(set) var values: [String?] = [nil]

    mutating func number(_ value: String?) -> Int32 {
        guard let value else { return NumberedKeyModel.absent }
        if let known = numbers[value] { return known }
        precondition(values.count < Int(Int32.max), "too many distinct values on one key")
        let number = Int32(values.count)
        numbers[value] = number
        values.append(value)
        return number
    }

    /// The operations with their values numbered.
    mutating func number(_ operations: [ModelOperation<KVModel.KeyModel>]) -> [ModelOperation<NumberedKeyModel>] {
        operations.map { operation in
            let input = NumberedKeyModel.Input(
                function: operation.input.function, value: number(operation.input.value), expected: number(operation.input.expected))
            let output: NumberedKeyModel.Output? = switch operation.output {
            case nil: nil
            case .value(let read)?: .value(number(read))
            case .done?: .done
            case .notSwapped?: .notSwapped
            }
            return ModelOperation(
                id: operation.id, process: operation.process, input: input, output: output,
                invokePosition: operation.invokePosition, completionPosition: operation.completionPosition)
        }
    }
}
