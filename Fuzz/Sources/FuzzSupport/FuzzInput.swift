/// Splits one fuzz input into several values, so a target can take a
/// chunking, a limit and a payload from the same bytes.
public struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    /// The next byte, or 0 once the input is used up.
    public mutating func byte() -> UInt8 {
        bytes.popFirst() ?? 0
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { bytes = [] }
        return Array(bytes)
    }
}
