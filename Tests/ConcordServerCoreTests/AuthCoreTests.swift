import ConcordKV
import Testing

@testable import ConcordServerCore

/// The auth store inside a cluster of server cores: changes go through
/// the log to every member, survive snapshots and restarts, and the core
/// refuses requests the store does not allow (writes when applied, reads
/// once their read index is applied);
/// auth commands themselves are decided when applied, in log order.
@Suite struct AuthCoreTests {
    private static let setup: [AuthCommand] = [
        .userAdd(name: "root", passwordHash: "$2b$10$root", noPassword: false),
        .userGrantRole(user: "root", role: "root"),
        .roleAdd(name: "root"),
        .userAdd(name: "alice", passwordHash: "$2b$10$alice", noPassword: false),
        .roleAdd(name: "reader"),
        .roleGrantPermission(role: "reader", permission: KeyPermission(access: .readWrite, key: Array("app/".utf8), rangeEnd: Array("app0".utf8))),
        .userGrantRole(user: "alice", role: "reader"),
        .enable,
    ]

    private func enable(_ cluster: inout CoreCluster, at member: UInt64) {
        for command in Self.setup {
            let reply = cluster.ask(.auth(command), to: member)
            #expect(reply?.isSuccess == true, "\(command): \(String(describing: reply?.result))")
        }
    }

    @Test func authChangesReachEveryMemberAndAreEnforcedEverywhere() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        enable(&cluster, at: follower)
        cluster.tick(5)
        let store = cluster.cores[leader]!.authStore
        #expect(store.isEnabled)
        for member in cluster.ids { #expect(cluster.cores[member]!.authStore == store, "n\(member) applied the same store") }
        let alice = AuthCaller(name: "alice", revision: store.revision)
        for member in cluster.ids {
            #expect(cluster.ask(CoreCluster.put("app/\(member)", "v"), to: member, caller: alice)?.isSuccess == true)
            let refused = cluster.ask(CoreCluster.put("other", "v"), to: member, caller: alice)
            #expect(refused?.failure == .auth(.permissionDenied))
            #expect(cluster.ask(CoreCluster.get("app/1"), to: member)?.failure == .auth(.userEmpty))
        }
        // Refusals change nothing: the revision counts only alice's three puts.
        #expect(cluster.cores[leader]!.revision == 4)
        // A token issued before a change is old.
        #expect(cluster.ask(.auth(.roleAdd(name: "writer")), to: leader, caller: AuthCaller(name: "root", revision: store.revision))?.isSuccess == true)
        #expect(cluster.ask(CoreCluster.get("app/1"), to: leader, caller: alice)?.failure == .auth(.authOldRevision))
        // Management needs root.
        let current = cluster.cores[leader]!.authStore.revision
        #expect(
            cluster.ask(.auth(.roleAdd(name: "x")), to: leader, caller: AuthCaller(name: "alice", revision: current))?.failure
                == .auth(.permissionDenied))
        #expect(
            cluster.ask(.authQuery(.userList), to: follower, caller: AuthCaller(name: "root", revision: current))?.result
                == .success(.auth(.names(["alice", "root"]))))
    }

    @Test func aTokenAssignedThroughTheLogIsKnownToEveryMemberUntilAuthIsDisabled() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let follower = cluster.ids.first { $0 != leader }!
        enable(&cluster, at: leader)
        let revision = cluster.cores[leader]!.authStore.revision
        #expect(cluster.ask(.auth(.assignToken(token: "t.1", user: "alice", revision: revision)), to: follower)?.isSuccess == true)
        cluster.tick(2)
        #expect(cluster.cores[leader]!.authStore.revision == revision, "a token changes nothing in the store")
        for member in cluster.ids {
            #expect(cluster.cores[member]!.caller(forToken: "t.1", nowMilliseconds: cluster.now) == AuthCaller(name: "alice", revision: revision))
            #expect(cluster.cores[member]!.caller(forToken: "t.2", nowMilliseconds: cluster.now) == nil)
        }
        let root = AuthCaller(name: "root", revision: revision)
        #expect(cluster.ask(.auth(.disable), to: leader, caller: root)?.isSuccess == true)
        cluster.tick(2)
        for member in cluster.ids {
            #expect(cluster.cores[member]!.caller(forToken: "t.1", nowMilliseconds: cluster.now) == nil)
        }
    }

    @Test func aBadAuthCommandFailsWhenAppliedAndChangesNothing() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        #expect(cluster.ask(.auth(.enable), to: leader)?.failure == .auth(.rootUserNotExist))
        #expect(cluster.ask(.auth(.userGrantRole(user: "ghost", role: "root")), to: leader)?.failure == .auth(.userNotFound))
        cluster.tick(5)
        for member in cluster.ids { #expect(cluster.cores[member]!.authStore == AuthStore(), "n\(member) changed nothing") }
    }

    /// etcdctl's `auth enable` adds the root role through one member and
    /// retries the enable through the next, which may not have applied the
    /// role yet: that member must not refuse what the log accepts.
    @Test func aCommandThroughALaggingMemberIsDecidedInLogOrder() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        cluster.isolated.insert(lagging)
        let setup: [AuthCommand] = [
            .userAdd(name: "root", passwordHash: "$2b$10$root", noPassword: false),
            .roleAdd(name: "root"),
            .userGrantRole(user: "root", role: "root"),
        ]
        for command in setup {
            #expect(cluster.ask(.auth(command), to: leader)?.isSuccess == true, "\(command)")
        }
        #expect(cluster.cores[lagging]!.authStore == AuthStore(), "the isolated member has not applied the setup")
        cluster.isolated.remove(lagging)
        let enable = cluster.send(.auth(.enable), to: lagging)
        cluster.settle()
        let answered = cluster.tick(until: { $0.replies[enable] != nil })
        #expect(answered, "the enable is answered")
        #expect(cluster.replies[enable]?.isSuccess == true, "\(String(describing: cluster.replies[enable]?.result))")
        cluster.tick(5)
        for member in cluster.ids { #expect(cluster.cores[member]!.authStore.isEnabled, "n\(member) is enabled") }
    }

    /// A member that has not applied an acknowledged permission change
    /// must not let a write through: the write carries its caller into
    /// the log and is checked when applied, after the change (etcd 3.4's
    /// `authApplierV3`).
    @Test func aWriteThroughALaggingMemberIsCheckedWhenApplied() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        enable(&cluster, at: leader)
        cluster.tick(5)
        let before = cluster.cores[lagging]!.authStore.revision
        #expect(cluster.cores[leader]!.authStore.revision == before)
        let alice = AuthCaller(name: "alice", revision: before)
        cluster.isolated.insert(lagging)
        let root = AuthCaller(name: "root", revision: before)
        #expect(cluster.ask(.auth(.userRevokeRole(user: "alice", role: "reader")), to: leader, caller: root)?.isSuccess == true)
        #expect(cluster.cores[lagging]!.authStore.revision == before, "the isolated member has not applied the revoke")
        cluster.isolated.remove(lagging)
        // Alice's caller as the lagging member sees it (a token issued
        // there, or her certificate): its store's revision.
        let write = cluster.send(CoreCluster.put("app/late", "v"), to: lagging, caller: alice)
        cluster.settle()
        let answered = cluster.tick(until: { $0.replies[write] != nil })
        #expect(answered, "the write is answered")
        let failure = cluster.replies[write]?.failure
        #expect(failure == .auth(.authOldRevision), "\(String(describing: cluster.replies[write]?.result))")
        cluster.tick(5)
        let rootNow = AuthCaller(name: "root", revision: cluster.cores[leader]!.authStore.revision)
        for member in cluster.ids {
            let read = cluster.ask(.range(RangeRequest(key: Array("app/".utf8), rangeEnd: Array("app0".utf8))), to: member, caller: rootNow)
            #expect(read?.values == [], "n\(member) holds no refused write")
        }
    }

    /// An auth command is checked for root when applied: a member that has
    /// not applied the revoke of a user's root role cannot let that user
    /// manage the store (etcd 3.4's `IsAdminPermitted` in its applier).
    @Test func anAuthCommandThroughALaggingMemberIsCheckedForRootWhenApplied() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        enable(&cluster, at: leader)
        var revision = cluster.cores[leader]!.authStore.revision
        let root = AuthCaller(name: "root", revision: revision)
        #expect(cluster.ask(.auth(.userGrantRole(user: "alice", role: "root")), to: leader, caller: root)?.isSuccess == true)
        cluster.tick(5)
        revision = cluster.cores[lagging]!.authStore.revision
        let alice = AuthCaller(name: "alice", revision: revision)
        cluster.isolated.insert(lagging)
        #expect(cluster.ask(.auth(.userRevokeRole(user: "alice", role: "root")), to: leader, caller: root)?.isSuccess == true)
        cluster.isolated.remove(lagging)
        let command = cluster.send(.auth(.roleAdd(name: "sneaky")), to: lagging, caller: alice)
        cluster.settle()
        let answered = cluster.tick(until: { $0.replies[command] != nil })
        #expect(answered, "the command is answered")
        #expect(cluster.replies[command]?.failure == .auth(.permissionDenied), "\(String(describing: cluster.replies[command]?.result))")
        cluster.tick(5)
        for member in cluster.ids { #expect(cluster.cores[member]!.authStore.roles["sneaky"] == nil, "n\(member) has no such role") }
    }

    /// A linearizable read through a member that has not applied an
    /// acknowledged permission change is checked once its read index is
    /// applied, which includes the change.
    @Test func aReadThroughALaggingMemberIsCheckedAfterItsReadIndex() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        let lagging = cluster.ids.first { $0 != leader }!
        enable(&cluster, at: leader)
        let root = AuthCaller(name: "root", revision: cluster.cores[leader]!.authStore.revision)
        #expect(cluster.ask(CoreCluster.put("app/1", "v"), to: leader, caller: root)?.isSuccess == true)
        cluster.tick(5)
        let before = cluster.cores[lagging]!.authStore.revision
        cluster.isolated.insert(lagging)
        #expect(cluster.ask(.auth(.userRevokeRole(user: "alice", role: "reader")), to: leader, caller: root)?.isSuccess == true)
        cluster.isolated.remove(lagging)
        // The caller as the lagging member sees it: the store's revision there.
        let read = cluster.send(CoreCluster.get("app/1"), to: lagging, caller: AuthCaller(name: "alice", revision: before))
        cluster.settle()
        let answered = cluster.tick(until: { $0.replies[read] != nil })
        #expect(answered, "the read is answered")
        let failure = cluster.replies[read]?.failure
        #expect(failure == .auth(.authOldRevision) || failure == .auth(.permissionDenied), "\(String(describing: cluster.replies[read]?.result))")
        // A serializable read is checked against the member's store as it is: it answers from there.
        let now = AuthCaller(name: "alice", revision: cluster.cores[leader]!.authStore.revision)
        #expect(cluster.ask(CoreCluster.get("app/1", serializable: true), to: leader, caller: now)?.failure == .auth(.permissionDenied))
    }

    /// etcd's `checkLeasePuts`: attaching a key to a lease needs write
    /// permission on every key already attached to it, since the user
    /// could not revoke that lease.
    @Test func aPutThatAttachesAKeyToALeaseNeedsWriteOnTheLeasesKeys() throws {
        var cluster = CoreCluster()
        let leader = cluster.electLeader()
        enable(&cluster, at: leader)
        let revision = cluster.cores[leader]!.authStore.revision
        let root = AuthCaller(name: "root", revision: revision), alice = AuthCaller(name: "alice", revision: revision)
        #expect(cluster.ask(.leaseGrant(id: 7, ttlSeconds: 600), to: leader, caller: root)?.isSuccess == true)
        #expect(cluster.ask(.leaseGrant(id: 8, ttlSeconds: 600), to: leader, caller: root)?.isSuccess == true)
        #expect(cluster.ask(CoreCluster.put("other", "v", lease: 7), to: leader, caller: root)?.isSuccess == true)
        #expect(cluster.ask(CoreCluster.put("app/a", "v", lease: 8), to: leader, caller: root)?.isSuccess == true)
        let storeRevision = cluster.cores[leader]!.revision
        for member in cluster.ids {
            #expect(cluster.ask(CoreCluster.put("app/x", "v", lease: 7), to: member, caller: alice)?.failure == .auth(.permissionDenied))
        }
        #expect(cluster.cores[leader]!.revision == storeRevision, "a refused put changes nothing")
        // A lease whose keys alice may write takes hers; so does a lease without keys.
        #expect(cluster.ask(CoreCluster.put("app/x", "v", lease: 8), to: leader, caller: alice)?.isSuccess == true)
        #expect(cluster.ask(.leaseGrant(id: 9, ttlSeconds: 600), to: leader, caller: root)?.isSuccess == true)
        #expect(cluster.ask(CoreCluster.put("app/y", "v", lease: 9), to: leader, caller: alice)?.isSuccess == true)
        // Revoking needs write on every key, checked when applied too.
        #expect(cluster.ask(.leaseRevoke(id: 7), to: leader, caller: alice)?.failure == .auth(.permissionDenied))
        #expect(cluster.ask(.leaseRevoke(id: 8), to: leader, caller: alice)?.isSuccess == true)
    }

    @Test func theAuthStoreSurvivesSnapshotsAndRestarts() throws {
        var cluster = CoreCluster { $0.snapshotEveryEntries = 3 }
        let leader = cluster.electLeader()
        enable(&cluster, at: leader)
        for index in 0..<6 { _ = cluster.ask(CoreCluster.put("app/\(index)", "v"), to: leader, caller: AuthCaller(name: "root", revision: cluster.cores[leader]!.authStore.revision)) }
        let store = cluster.cores[leader]!.authStore
        #expect(cluster.cores[leader]!.snapshotIndex > 0, "a snapshot was taken")
        for member in cluster.ids {
            try cluster.restart(member, seed: 100 + member)
        }
        _ = cluster.electLeader()
        for member in cluster.ids { #expect(cluster.cores[member]!.authStore == store, "n\(member) restored the store") }
    }
}
