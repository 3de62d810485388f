/// The `CRDT` namespace of Concord: conflict-free replicated data types,
/// state-based with delta mutators.
///
/// Every type is a join semilattice (``StateCRDT``): `merge` is commutative,
/// associative and idempotent, so replicas that have received the same
/// updates, in any order and any number of times, hold equal states. Every
/// mutator changes the state and returns a delta, itself a state of the same
/// type, such that `old.merging(delta) == new` (Almeida, Shoker, Baquero,
/// "Delta State Replicated Data Types", JPDC 2018). Shipping deltas instead
/// of whole states is what keeps gossip cheap; shipping whole states now and
/// then repairs whatever deltas were lost.
public enum CRDT {}
