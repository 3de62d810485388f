extension ZooKeeper {
    /// The four-letter words ZooKeeper answers instead of a first frame.
    /// This server runs `ruok`, `srvr`, `stat`, `mntr`, `conf` and `isro`; every other word
    /// ZooKeeper knows is answered as ZooKeeper answers a word outside its
    /// whitelist.
    public enum FourLetterWord: Sendable, Hashable {
        case ruok, srvr, stat, mntr
        /// The server's configuration, as `key=value` lines.
        case conf
        /// Whether the server is read-only: `rw` (it never is).
        case isro
        /// A word ZooKeeper knows that this server does not run.
        case notEnabled(String)

        /// The words this server runs.
        public static let enabled: [FourLetterWord] = [.ruok, .srvr, .stat, .mntr, .conf, .isro]
        /// Every word ZooKeeper 3.8 knows.
        public static let knownNames = [
            "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srvr", "srst", "stat",
            "wchc", "wchp", "wchs", "mntr", "isro", "hash",
        ]

        /// The word whose four ASCII bytes, read as a big-endian integer,
        /// are `code`; nil if it is no word ZooKeeper knows.
        public init?(code: UInt32) {
            let bytes = [UInt8(code >> 24), UInt8(code >> 16 & 0xFF), UInt8(code >> 8 & 0xFF), UInt8(code & 0xFF)]
            let name = String(decoding: bytes, as: UTF8.self)
            guard Self.knownNames.contains(name) else { return nil }
            switch name {
            case "ruok": self = .ruok
            case "srvr": self = .srvr
            case "stat": self = .stat
            case "mntr": self = .mntr
            case "conf": self = .conf
            case "isro": self = .isro
            default: self = .notEnabled(name)
            }
        }

        /// The word as text.
        public var name: String {
            switch self {
            case .ruok: "ruok"
            case .srvr: "srvr"
            case .stat: "stat"
            case .mntr: "mntr"
            case .conf: "conf"
            case .isro: "isro"
            case .notEnabled(let name): name
            }
        }

        /// The text the server sends back, as ZooKeeper 3.8 formats it.
        public func respond(_ statistics: ServerStatistics) -> String {
            switch self {
            case .ruok:
                return "imok"
            case .isro:
                return "rw"
            case .srvr, .stat:
                var text = "Zookeeper version: \(statistics.version)\n"
                if self == .stat {
                    text += "Clients:\n"
                    for connection in statistics.connections {
                        text += " \(connection.remoteAddress)[1](queued=\(connection.queued),recved=\(connection.received),sent=\(connection.sent))\n"
                    }
                    text += "\n"
                }
                text += "Latency min/avg/max: \(statistics.latencyMinimumMilliseconds)/\(Self.javaDouble(statistics.latencyAverageMilliseconds))/\(statistics.latencyMaximumMilliseconds)\n"
                text += "Received: \(statistics.packetsReceived)\n"
                text += "Sent: \(statistics.packetsSent)\n"
                text += "Connections: \(statistics.connections.count)\n"
                text += "Outstanding: \(statistics.outstandingRequests)\n"
                text += "Zxid: 0x\(String(UInt64(bitPattern: statistics.lastZxid), radix: 16))\n"
                text += "Mode: \(statistics.mode)\n"
                text += "Node count: \(statistics.nodeCount)\n"
                return text
            case .mntr:
                var lines: [(String, String)] = [
                    ("version", statistics.version),
                    ("server_state", statistics.mode),
                    ("avg_latency", Self.javaDouble(statistics.latencyAverageMilliseconds)),
                    ("max_latency", "\(statistics.latencyMaximumMilliseconds)"),
                    ("min_latency", "\(statistics.latencyMinimumMilliseconds)"),
                    ("packets_received", "\(statistics.packetsReceived)"),
                    ("packets_sent", "\(statistics.packetsSent)"),
                    ("num_alive_connections", "\(statistics.connections.count)"),
                    ("outstanding_requests", "\(statistics.outstandingRequests)"),
                    ("znode_count", "\(statistics.nodeCount)"),
                    ("watch_count", "\(statistics.watchCount)"),
                    ("ephemerals_count", "\(statistics.ephemeralsCount)"),
                    ("approximate_data_size", "\(statistics.approximateDataBytes)"),
                    ("global_sessions", "\(statistics.sessionCount)"),
                    ("last_zxid", "\(statistics.lastZxid)"),
                ]
                if statistics.mode == "leader" {
                    lines.append(("learners", "\(statistics.learners)"))
                    lines.append(("synced_followers", "\(statistics.syncedFollowers)"))
                }
                return lines.map { "zk_\($0.0)\t\($0.1)\n" }.joined()
            case .conf:
                // A standalone server's lines, in ZooKeeper 3.8's order
                // (`ZooKeeperServer.dumpConf`). One directory holds both the
                // snapshots and the log; no secure port and the default
                // listen backlog print -1, as ZooKeeper prints them unset.
                let configuration = statistics.configuration
                let lines: [(String, String)] = [
                    ("clientPort", "\(configuration.clientPort)"),
                    ("secureClientPort", "-1"),
                    ("dataDir", configuration.dataDirectory),
                    ("dataDirSize", "\(configuration.dataDirectoryBytes)"),
                    ("dataLogDir", configuration.dataDirectory),
                    ("dataLogSize", "\(configuration.dataDirectoryBytes)"),
                    ("tickTime", "\(configuration.tickMilliseconds)"),
                    ("maxClientCnxns", "\(configuration.clientConnectionsPerHostMax)"),
                    ("minSessionTimeout", "\(configuration.sessionTimeoutMinimumMilliseconds)"),
                    ("maxSessionTimeout", "\(configuration.sessionTimeoutMaximumMilliseconds)"),
                    ("clientPortListenBacklog", "-1"),
                    ("serverId", "\(configuration.serverID)"),
                ]
                return lines.map { "\($0.0)=\($0.1)\n" }.joined()
            case .notEnabled(let name):
                return "\(name) is not executed because it is not in the whitelist.\n"
            }
        }

        /// A double as Java prints one (`0.0`, `1.5`).
        static func javaDouble(_ value: Double) -> String {
            let rounded = (value * 1000).rounded() / 1000
            let text = "\(rounded)"
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        }
    }
}
