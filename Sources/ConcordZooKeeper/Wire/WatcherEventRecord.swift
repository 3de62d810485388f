import ConcordFoundation

extension ZooKeeper {
    /// A watch notification's body (jute `WatcherEvent`).
    public struct WatcherEventRecord: Sendable, Hashable, JuteRecord {
        public var event: WatcherEvent

        public init(_ event: WatcherEvent) { self.event = event }

        public func encode(to writer: inout JuteWriter) {
            writer.writeInt(event.type.rawValue)
            writer.writeInt(event.state.rawValue)
            writer.writeString(event.path)
        }

        public init(jute reader: inout JuteReader) throws(BinaryDecodingError) {
            let typeOffset = reader.offset
            guard let type = EventType(rawValue: try reader.readInt()) else { throw .invalidValue("event type", offset: typeOffset) }
            let stateOffset = reader.offset
            guard let state = KeeperState(rawValue: try reader.readInt()) else { throw .invalidValue("keeper state", offset: stateOffset) }
            event = WatcherEvent(type: type, state: state, path: try reader.readString() ?? "")
        }
    }
}
