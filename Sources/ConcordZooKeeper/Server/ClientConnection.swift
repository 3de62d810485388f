import DequeModule

extension ZooKeeper {
    /// One client connection on a server: where it is in its life, what it
    /// has proved, and its requests waiting in arrival order.
    struct ClientConnection: Sendable {
        enum Phase: Sendable, Equatable {
            /// Waiting for the ConnectRequest.
            case awaitingConnect
            /// The session's creation or reattachment is in the log.
            case connecting(tag: UInt64)
            /// Serving a session.
            case established(sessionID: Int64)
        }

        /// A request waiting for its turn to be answered.
        struct Pending: Sendable {
            enum Work: Sendable {
                /// Its transaction (a write, a sync, a close) is in the log.
                case waitingForLog(tag: UInt64)
                /// Its transaction was applied with this outcome.
                case completed(Applied.Outcome)
                /// A read, ping, setWatches or watch request, executed when
                /// it reaches the head of the queue.
                case local(Request)
                /// A request answered with an error without running.
                case refused(ErrorCode)
            }

            var xid: Int32
            var identities: [Identity]
            var work: Work
            /// Whether the connection closes once this is answered (closeSession).
            var closesConnection = false
        }

        var phase: Phase = .awaitingConnect
        var decoder: FrameDecoder
        var remoteAddress: String
        /// Whether the client sent the readOnly flag (the answer carries it only then).
        var sentReadOnlyFlag = true
        /// Identities proved by auth packets.
        var identities: [Identity] = []
        /// Requests in arrival order; the head is answered first.
        var queue: Deque<Pending> = []
        /// Frames that arrived while the session was being established.
        var deferredFrames: [[UInt8]] = []
        /// Watch events held back (only with the late-delivery bug).
        var heldEvents: [[UInt8]] = []
        /// Set once closeSession is received: later requests are ignored.
        var isClosing = false
        var received = 0
        var sent = 0

        init(frameBytesMax: Int, remoteAddress: String) {
            decoder = FrameDecoder(frameBytesMax: frameBytesMax)
            self.remoteAddress = remoteAddress
        }

        /// The session served, once established.
        var sessionID: Int64? {
            if case .established(let id) = phase { return id }
            return nil
        }
    }
}
