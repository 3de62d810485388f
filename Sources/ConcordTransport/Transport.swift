/// The `Transport` namespace: Concord's peer-to-peer message transport on
/// SwiftNIO. Replicas exchange opaque frames over TCP; what a frame means
/// is the caller's business (ConcordServer encodes Raft messages in them).
///
/// ## Wire format
///
/// Every frame is a 4-byte big-endian length followed by that many bytes.
/// A frame longer than ``Configuration/frameBytesMax`` closes the
/// connection. Each connection carries frames in one direction only: a
/// replica dials every peer it sends to, and accepts connections from the
/// peers that send to it. The first frame on a connection is a ``Hello``
/// that names the dialling replica.
public enum Transport {}
