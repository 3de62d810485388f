import Testing
@testable import ConcordZooKeeper

@Suite("Frames and four-letter words")
struct FrameDecoderTests {
    @Test("frames split however the bytes arrive, one byte at a time included")
    func byteAtATime() throws {
        let frames = [bytes("first"), [], Array(repeating: 7, count: 300)]
        let stream = frames.flatMap { ZooKeeper.Frame.encode($0) }
        var decoder = ZooKeeper.FrameDecoder(frameBytesMax: 1_000)
        var seen: [[UInt8]] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() {
                guard case .message(let body) = frame else { Issue.record("unexpected \(frame)"); return }
                seen.append(body)
            }
        }
        #expect(seen == frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("many frames in one read, and every split of the stream into two reads, give the same frames")
    func coalescedAndSplit() throws {
        let frames = [int(0) + long(5) + int(10_000), [], bytes("x"), Array(repeating: 9, count: 70)]
        let stream = frames.flatMap { ZooKeeper.Frame.encode($0) }
        for split in 0...stream.count {
            var decoder = ZooKeeper.FrameDecoder(frameBytesMax: 100)
            var seen: [[UInt8]] = []
            for read in [stream[..<split], stream[split...]] {
                decoder.append(read)
                while case .message(let body)? = try decoder.next() { seen.append(body) }
            }
            #expect(seen == frames, "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("a frame of exactly the limit is taken; one byte more is refused with the length and the limit named")
    func limitBoundary() throws {
        var decoder = ZooKeeper.FrameDecoder(frameBytesMax: 8)
        decoder.append(ZooKeeper.Frame.encode(Array(repeating: 1, count: 8)))
        #expect(try decoder.next() == .message(Array(repeating: 1, count: 8)))
        decoder.append(int(9))
        do {
            _ = try decoder.next()
            Issue.record("a 9-byte frame passed an 8-byte limit")
        } catch {
            #expect(error.description == "frame length 9 is outside 0...8")
        }
        #expect(ZooKeeper.ServerConfiguration().frameBytesMax == 0xfffff + 65_536)
    }

    @Test("a negative or oversized length is refused before any body is read")
    func absurdLengths() {
        for length: Int32 in [-1, -2_000_000, 1_001, .max] {
            var decoder = ZooKeeper.FrameDecoder(frameBytesMax: 1_000)
            decoder.append(int(length))
            #expect(throws: ZooKeeper.FrameError.lengthOutOfRange(length: length, limit: 1_000)) { try decoder.next() }
        }
    }

    @Test("a four-letter word is recognised only as the first four bytes of a connection")
    func fourLetterWords() throws {
        var decoder = ZooKeeper.FrameDecoder(frameBytesMax: 2_000_000_000)
        decoder.append(bytes("ruok"))
        #expect(try decoder.next() == .fourLetterWord(.ruok))
        var afterFrame = ZooKeeper.FrameDecoder(frameBytesMax: 2_000_000_000)
        afterFrame.append(ZooKeeper.Frame.encode([1]) + bytes("ruok"))
        #expect(try afterFrame.next() == .message([1]))
        // "ruok" read as a length is 0x72756f6b bytes: not a word any more, just a frame to wait for.
        #expect(try afterFrame.next() == nil)
        for name in ["srvr", "stat", "mntr", "conf", "isro"] {
            var each = ZooKeeper.FrameDecoder(frameBytesMax: 100)
            each.append(bytes(name))
            guard case .fourLetterWord(let word)? = try each.next() else { Issue.record("\(name) not recognised"); continue }
            #expect(word.name == name)
        }
        var other = ZooKeeper.FrameDecoder(frameBytesMax: 100)
        other.append(bytes("dump"))
        #expect(try other.next() == .fourLetterWord(.notEnabled("dump")))
    }

    @Test("the four-letter words answer in ZooKeeper's formats")
    func fourLetterAnswers() {
        var statistics = ZooKeeper.ServerStatistics(version: "3.8.4-concord", mode: "follower")
        statistics.packetsReceived = 12
        statistics.packetsSent = 11
        statistics.connections = [.init(remoteAddress: "/127.0.0.1:5000", queued: 0, received: 3, sent: 2)]
        statistics.lastZxid = 0x1f
        statistics.nodeCount = 7
        #expect(ZooKeeper.FourLetterWord.ruok.respond(statistics) == "imok")
        #expect(ZooKeeper.FourLetterWord.isro.respond(statistics) == "rw")
        let srvr = """
            Zookeeper version: 3.8.4-concord
            Latency min/avg/max: 0/0.0/0
            Received: 12
            Sent: 11
            Connections: 1
            Outstanding: 0
            Zxid: 0x1f
            Mode: follower
            Node count: 7

            """
        #expect(ZooKeeper.FourLetterWord.srvr.respond(statistics) == srvr)
        let stat = ZooKeeper.FourLetterWord.stat.respond(statistics)
        #expect(stat.hasPrefix("Zookeeper version: 3.8.4-concord\nClients:\n /127.0.0.1:5000[1](queued=0,recved=3,sent=2)\n\nLatency min/avg/max: 0/0.0/0\n"))
        let mntr = ZooKeeper.FourLetterWord.mntr.respond(statistics)
        #expect(mntr.hasPrefix("zk_version\t3.8.4-concord\nzk_server_state\tfollower\n"))
        #expect(mntr.contains("zk_znode_count\t7\n"))
        #expect(ZooKeeper.FourLetterWord.notEnabled("dump").respond(statistics) == "dump is not executed because it is not in the whitelist.\n")
    }
}
