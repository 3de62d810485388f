import ConcordClocks
import ConcordCRDT

/// Canonical digests of stored objects: equal objects have equal digests in
/// every process, whatever order their dictionaries and sets iterate in,
/// because every collection is walked in sorted order. Merkle trees and
/// read repair compare these.
extension StoredObject {
    /// The object's digest: its value's, its generation (when not 0), then
    /// its expiry's (nothing when the expiry was never set, so copies
    /// without one hash as before).
    public var digest: UInt64 {
        var digest = Digest()
        digest.combine(value.digest)
        if generation > 0 { digest.combine(UInt64(generation) | 1 << 63) }
        if let write = expiry.register.winner {
            digest.combine(UInt64(bitPattern: write.stamp.timestamp.wallNanoseconds))
            digest.combine(UInt64(write.stamp.timestamp.logical))
            digest.combine(write.stamp.replica.rawValue)
            if let deadline = write.value {
                digest.combine(1)
                digest.combine(UInt64(bitPattern: deadline))
            } else {
                digest.combine(0)
            }
        }
        return digest.value
    }
}

extension StoredValue {
    /// The value's digest.
    public var digest: UInt64 {
        var digest = Digest()
        digest.combine(UInt64(kind.rawValue))
        switch self {
        case .siblings(let siblings):
            digest.combine(UInt64(siblings.siblings.count))
            for sibling in siblings.siblings {
                digest.combine(sibling.clock.context)
                digest.combine(sibling.clock.dot)
                digest.combine(sibling.value.bytes)
                digest.combine(UInt64(sibling.value.dependencies.count))
                for dependency in sibling.value.dependencies {
                    digest.combine(dependency.key)
                    digest.combine(dependency.version)
                }
            }
        case .lastWriterWins(let value):
            if let stamp = value.stamp {
                digest.combine(UInt64(bitPattern: stamp.timestamp.wallNanoseconds))
                digest.combine(UInt64(stamp.timestamp.logical))
                digest.combine(stamp.replica.rawValue)
            }
            digest.combine(value.value)
            digest.combine(value.seen)
        case .counter(let counter):
            digest.combine(VersionVector(counter.increments.entries))
            digest.combine(VersionVector(counter.decrements.entries))
        case .set(let set):
            digest.combine(set.context)
            for element in set.store.entries.keys.sorted() {
                digest.combine(element)
                digest.combine(set.store.entries[element]!.dots)
            }
        case .map(let map):
            digest.combine(map.context)
            for field in map.store.entries.keys.sorted() {
                digest.combine(field)
                digest.combine(map.store.entries[field]!)
            }
        case .register(let register):
            digest.combine(register.context)
            digest.combine(register.store)
        case .flag(let flag):
            digest.combine(flag.context)
            digest.combine(flag.store.dots)
        }
        return digest.value
    }
}

extension Digest {
    mutating func combine(_ vector: VersionVector) {
        let entries = vector.entries.sorted { $0.key < $1.key }
        combine(UInt64(entries.count))
        for (replica, counter) in entries {
            combine(replica.rawValue)
            combine(counter)
        }
    }

    mutating func combine(_ dot: Dot) {
        combine(dot.replica.rawValue)
        combine(dot.counter)
    }

    mutating func combine(_ dots: Set<Dot>) {
        combine(UInt64(dots.count))
        for dot in dots.sorted() { combine(dot) }
    }

    mutating func combine(_ context: CausalContext) {
        combine(context.versionVector)
        combine(context.dotCloud)
    }

    mutating func combine(_ value: ByteString?) {
        if let value {
            combine(1)
            combine(value)
        } else {
            combine(0)
        }
    }

    mutating func combine(_ store: DotFunction<ByteString>) {
        let entries = store.entries.sorted { $0.key < $1.key }
        combine(UInt64(entries.count))
        for (dot, value) in entries {
            combine(dot)
            combine(value)
        }
    }
}
