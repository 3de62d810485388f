import Testing
@testable import ConcordRaft

@Suite struct SnapshotTests {
    /// etcd-io/raft's slow_follower_after_compaction; Raft §7.
    @Test func aLaggingFollowerReceivesAChunkedSnapshotAfterCompactionAndResumes() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.snapshotChunkBytesMax = 3 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<10 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let applied = cluster.nodes[1]!.appliedIndex
        #expect(applied == 12)
        let state = Array("state-at-12".utf8)
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: applied, snapshotData: state))
        #expect(cluster.nodes[1]!.snapshotIndex == 12)
        #expect(cluster.storages[1]!.state.snapshot.data == state)
        cluster.heal()
        cluster.run(rounds: 3)
        let chunks = cluster.delivered.filter {
            if case .snapshotChunk = $0.body { return $0.to == 3 }
            return false
        }
        #expect(chunks.count == (state.count + 2) / 3)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(cluster.nodes[3]!.snapshotIndex == 12 && cluster.nodes[3]!.commitIndex == 12)
        #expect(cluster.storages[3]!.state.snapshot.metadata.index == 12)
        try cluster.propose(1, [99])
        cluster.deliver()
        cluster.run(rounds: 1)
        #expect(cluster.appliedData(3) == [[99]])
        #expect(cluster.nodes[1]!.progress[3]!.state == .replicate)
    }

    @Test func aLostSnapshotChunkIsResent() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.snapshotChunkBytesMax = 2 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: 5, snapshotData: [1, 2, 3, 4, 5]))
        cluster.heal()
        // Drop the first chunk that reaches replica 3. The leader resends
        // it once it has been out for an election timeout (10 ticks here).
        var dropped = false
        for _ in 0..<30 {
            cluster.tickAll()
            while !cluster.inFlight.isEmpty {
                let message = cluster.inFlight.removeFirst()
                if case .snapshotChunk(let chunk) = message.body, chunk.offset == 2, !dropped {
                    dropped = true
                    continue
                }
                guard cluster.nodes[message.to] != nil else { continue }
                cluster.handle(message.to, cluster.nodes[message.to]!.step(message))
            }
        }
        #expect(dropped)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [[1, 2, 3, 4, 5]])
    }

    /// A heartbeat answered while a chunk is out does not send the chunk
    /// again: each resend would start another stream of chunks (every one
    /// answered and continued), and a large snapshot would crawl behind
    /// its own duplicates.
    @Test func heartbeatsDoNotMultiplyTheChunkInFlight() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.snapshotChunkBytesMax = 2 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let state = (0..<40).map { UInt8($0) }
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: 5, snapshotData: state))
        cluster.heal()
        // 30 ticks with every chunk to replica 3 held back, everything else
        // delivered (its heartbeat answers reach the leader).
        var held = 0
        for _ in 0..<30 {
            cluster.tickAll()
            while !cluster.inFlight.isEmpty {
                let message = cluster.inFlight.removeFirst()
                if case .snapshotChunk = message.body, message.to == 3 {
                    held += 1
                    continue
                }
                guard cluster.nodes[message.to] != nil else { continue }
                cluster.handle(message.to, cluster.nodes[message.to]!.step(message))
            }
        }
        // The first chunk, then one resend per election timeout (10 ticks).
        #expect(held >= 1 && held <= 4)
        // Then the transfer runs: one chunk per answer, no duplicates.
        var sent = 0
        for _ in 0..<30 {
            cluster.tickAll()
            while !cluster.inFlight.isEmpty {
                let message = cluster.inFlight.removeFirst()
                if case .snapshotChunk = message.body, message.to == 3 { sent += 1 }
                guard cluster.nodes[message.to] != nil else { continue }
                cluster.handle(message.to, cluster.nodes[message.to]!.step(message))
            }
            if cluster.installedSnapshots[3] != nil { break }
        }
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(sent >= state.count / 2 && sent <= state.count / 2 + 2)
    }

    /// A follower that restarts halfway through a transfer has lost the
    /// chunks it received: its answer to the next chunk asks for offset 0,
    /// and the leader must start over from there. Taking that answer for a
    /// late one (every resend answered at once, and every answer ignored
    /// because the resend had just gone out) stalled the transfer forever.
    @Test func aFollowerThatRestartsMidTransferReceivesTheSnapshotFromTheStart() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.snapshotChunkBytesMax = 2 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let state = (0..<40).map { UInt8($0) }
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: 5, snapshotData: state))
        cluster.heal()
        // Deliver until replica 3 has received a few chunks, then restart it
        // (what it received is in memory only) and drop what was in flight.
        var received = 0
        while received < 5 {
            cluster.tickAll()
            while !cluster.inFlight.isEmpty {
                let message = cluster.inFlight.removeFirst()
                if case .snapshotChunk = message.body, message.to == 3 { received += 1 }
                cluster.handle(message.to, cluster.nodes[message.to]!.step(message))
                if received == 5 { break }
            }
        }
        cluster.crash(3)
        cluster.inFlight.removeAll()
        cluster.restart(3)
        #expect(cluster.installedSnapshots[3] == nil)
        cluster.run(rounds: 100)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(cluster.nodes[1]!.progress[3]!.state == .replicate)
    }

    @Test func compactionMustNotPassTheAppliedIndex() throws {
        var cluster = TestCluster(voters: [1])
        cluster.campaign(1)
        #expect(throws: RaftRequestError.snapshotIndexNotApplied(requested: 5, applied: 2)) {
            try cluster.nodes[1]!.compact(upTo: 5, snapshotData: [])
        }
    }

    /// A snapshot encoded in the background arrives after more entries were
    /// applied: it compacts the log up to its own index and keeps the rest,
    /// and a follower that needs it receives it and then the entries after.
    @Test func aSnapshotOfAnEarlierIndexCompactsUpToItAndIsSentWithTheEntriesAfter() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<6 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let applied = cluster.nodes[1]!.appliedIndex
        let earlier = applied - 3
        let state: [UInt8] = [42, 43]
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: earlier, snapshotData: state))
        #expect(cluster.nodes[1]!.snapshotIndex == earlier)
        #expect(cluster.nodes[1]!.appliedIndex == applied)
        // An index at or before the latest snapshot changes nothing.
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: earlier - 1, snapshotData: [9]))
        #expect(cluster.nodes[1]!.snapshotIndex == earlier)
        cluster.heal()
        cluster.run(rounds: 100)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(cluster.installedSnapshots[3]?.map(\.metadata.index) == [earlier])
        #expect(cluster.nodes[3]!.appliedIndex == applied, "the entries after the snapshot followed it")
    }

    @Test func aReplicaRestartsFromItsSnapshotAndLog() throws {
        var cluster = TestCluster(voters: [1, 2, 3])
        cluster.campaign(1)
        for value in 0..<4 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.run(rounds: 1)
        let applied = cluster.nodes[2]!.appliedIndex
        #expect(applied == 6)
        cluster.handle(2, try cluster.nodes[2]!.compact(upTo: applied, snapshotData: [7]))
        for value in 4..<6 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.run(rounds: 1)
        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster.nodes[2]!.snapshotIndex == 6 && cluster.nodes[2]!.lastIndex == 8)
        cluster.run(rounds: 2)
        #expect(cluster.appliedData(2) == [[4], [5]], "only the entries after the snapshot are applied again")
    }

    // MARK: Snapshot bytes on disk (SnapshotFiles)

    /// The chunks a lagging follower receives, in order of delivery.
    private static func chunks(to replica: MemberID, in cluster: TestCluster) -> [RaftMessage.SnapshotChunk] {
        cluster.delivered.compactMap { message in
            if case .snapshotChunk(let chunk) = message.body, message.to == replica { return chunk }
            return nil
        }
    }

    @Test func withSnapshotFilesTheLeaderHoldsNoSnapshotBytesOnceDurableAndSendsChunksReadFromTheFiles() throws {
        var cluster = TestCluster(voters: [1, 2, 3], snapshotFiles: true) { $0.snapshotChunkBytesMax = 3 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<10 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let state = Array("state-at-12".utf8)
        cluster.manualPersist = [1]
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: 12, snapshotData: state))
        #expect(cluster.nodes[1]!.heldSnapshotBytes == state.count, "held until durable")
        cluster.manualPersist = []
        cluster.releasePersists(1)
        #expect(cluster.nodes[1]!.heldSnapshotBytes == 0, "durable: the files serve it")
        #expect(cluster.snapshotFiles[1]!.durable.data == state)

        cluster.heal()
        cluster.run(rounds: 3)
        let sent = Self.chunks(to: 3, in: cluster)
        #expect(sent.count == (state.count + 2) / 3)
        for chunk in sent {
            #expect(chunk.data == Array(state[chunk.offset..<min(state.count, chunk.offset + 3)]), "chunk at \(chunk.offset)")
        }
        #expect(cluster.snapshotFiles[1]!.reads == sent.map { $0.offset..<($0.offset + $0.data.count) }, "every chunk was read from the files")
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(cluster.snapshotFiles[3]!.incoming == state, "the follower gathered the chunks in its files")
        #expect(cluster.nodes[3]!.heldSnapshotBytes == 0, "installed and durable: nothing held")
        #expect(cluster.storages[3]!.state.snapshot.data == state)
        try cluster.propose(1, [99])
        cluster.deliver()
        cluster.run(rounds: 1)
        #expect(cluster.appliedData(3) == [[99]])
        #expect(cluster.nodes[1]!.progress[3]!.state == .replicate)
    }

    @Test func withoutSnapshotFilesTheNodeKeepsItsLatestSnapshotInMemory() throws {
        var cluster = TestCluster(voters: [1])
        cluster.campaign(1)
        try cluster.propose(1, [1])
        cluster.deliver()
        let state = Array("state".utf8)
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: cluster.nodes[1]!.appliedIndex, snapshotData: state))
        #expect(cluster.nodes[1]!.heldSnapshotBytes == state.count)
    }

    @Test func aRestartedReplicaWithSnapshotFilesHoldsNoSnapshotBytesAndServesTheSnapshotFromThemAsLeader() throws {
        var cluster = TestCluster(voters: [1, 2, 3], snapshotFiles: true) { $0.snapshotChunkBytesMax = 4 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        cluster.run(rounds: 1)
        let state = (0..<30).map { UInt8($0) }
        // Both replicas of the majority compact and restart from their
        // storage; the snapshot's bytes stay in the files.
        for id: MemberID in [1, 2] {
            cluster.handle(id, try cluster.nodes[id]!.compact(upTo: cluster.nodes[id]!.appliedIndex, snapshotData: state))
            cluster.crash(id)
            cluster.restart(id)
            #expect(cluster.nodes[id]!.heldSnapshotBytes == 0)
        }
        cluster.run(rounds: 50)
        let leader = try #require(cluster.leaders.first)
        #expect(leader != 3)
        cluster.heal()
        cluster.run(rounds: 5)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(!cluster.snapshotFiles[leader]!.reads.isEmpty, "the chunks were read from the files")
        #expect(cluster.nodes.values.allSatisfy { $0.heldSnapshotBytes == 0 })
    }

    @Test func aChunkTheFilesCannotReadIsRetriedOnceOverdue() throws {
        var cluster = TestCluster(voters: [1, 2, 3], snapshotFiles: true) { $0.snapshotChunkBytesMax = 4 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let state = (0..<10).map { UInt8($0) }
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: cluster.nodes[1]!.appliedIndex, snapshotData: state))
        cluster.snapshotFiles[1]!.failsReads = true
        cluster.heal()
        cluster.run(rounds: 3)
        #expect(Self.chunks(to: 3, in: cluster).isEmpty)
        cluster.snapshotFiles[1]!.failsReads = false
        cluster.run(rounds: 30)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
    }

    @Test func aFollowerWithSnapshotFilesThatRestartsMidTransferReceivesTheSnapshot() throws {
        var cluster = TestCluster(voters: [1, 2, 3], snapshotFiles: true) { $0.snapshotChunkBytesMax = 2 }
        cluster.campaign(1)
        cluster.isolate(3)
        for value in 0..<3 { try cluster.propose(1, [UInt8(value)]) }
        cluster.deliver()
        let state = (0..<40).map { UInt8($0) }
        cluster.handle(1, try cluster.nodes[1]!.compact(upTo: 5, snapshotData: state))
        cluster.heal()
        var received = 0
        while received < 5 {
            cluster.tickAll()
            while !cluster.inFlight.isEmpty {
                let message = cluster.inFlight.removeFirst()
                if case .snapshotChunk = message.body, message.to == 3 { received += 1 }
                cluster.handle(message.to, cluster.nodes[message.to]!.step(message))
                if received == 5 { break }
            }
        }
        #expect(cluster.snapshotFiles[3]!.incoming == Array(state[0..<10]), "the chunks so far are in the files")
        #expect(cluster.nodes[3]!.heldSnapshotBytes == 0)
        cluster.crash(3)
        cluster.inFlight.removeAll()
        cluster.restart(3)
        cluster.run(rounds: 100)
        #expect(cluster.installedSnapshots[3]?.map(\.data) == [state])
        #expect(cluster.storages[3]!.state.snapshot.data == state)
        #expect(cluster.nodes[1]!.progress[3]!.state == .replicate)
    }
}
