/// The transactional outbox, on SQLite through GRDB.
///
/// A service that changes its database and must tell others about it writes
/// the business row and an outbox row in one local transaction
/// (``Outbox/enqueue(_:in:)``): both commit or neither does. A ``Relay``
/// later publishes unsent outbox rows in order through a ``Publisher`` and
/// marks them sent only after publishing, so a crash in between publishes
/// them again: delivery is at least once. The consumer's ``Inbox`` records
/// each message id in the same transaction as the message's effect, so a
/// repeated delivery is recognised and the effect happens once.
///
/// See docs/transactions.md.
public enum Outbox {}
