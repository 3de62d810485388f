import ConcordKV

/// Which client requests the auth store lets a caller make, as etcd 3.4
/// checks them.
extension AuthStore {
    /// Why `caller` may not make `request`, or nil when it may.
    ///
    /// Reads need read permission on their range; a put needs write on its
    /// key (and read with `prev_kv`); a delete needs write on its range
    /// (and read with `prev_kv`); a transaction needs read on every
    /// compare's range and every permission of every operation in both
    /// branches, whichever runs (etcd's `checkTxnAuth`); changes to the
    /// auth store need root, except `AuthEnable`.
    public func refusal(_ request: ClientRequest, caller: AuthCaller?) -> AuthError? {
        guard isEnabled else { return nil }
        switch request {
        case .range(let range):
            return keyRefusal(caller, .read, key: range.key, rangeEnd: range.rangeEnd)
        case .readOnlyTxn(let txn, _):
            return txnRefusal(txn, caller)
        case .write(.put(let put)):
            return operationRefusal(.put(put), caller)
        case .write(.deleteRange(let delete)):
            return operationRefusal(.deleteRange(delete), caller)
        case .write(.txn(let txn)):
            return txnRefusal(txn, caller)
        case .auth(.enable), .auth(.assignToken):
            return nil
        case .auth:
            return adminRefusal(caller)
        default:
            return nil
        }
    }

    private func txnRefusal(_ txn: TxnRequest, _ caller: AuthCaller?) -> AuthError? {
        for compare in txn.compare {
            if let refusal = keyRefusal(caller, .read, key: compare.key, rangeEnd: compare.rangeEnd) { return refusal }
        }
        for operation in txn.success + txn.failure {
            if let refusal = operationRefusal(operation, caller) { return refusal }
        }
        return nil
    }

    private func operationRefusal(_ operation: RequestOp, _ caller: AuthCaller?) -> AuthError? {
        switch operation {
        case .range(let range):
            return keyRefusal(caller, .read, key: range.key, rangeEnd: range.rangeEnd)
        case .put(let put):
            if put.prevKV, let refusal = keyRefusal(caller, .read, key: put.key, rangeEnd: []) { return refusal }
            return keyRefusal(caller, .write, key: put.key, rangeEnd: [])
        case .deleteRange(let delete):
            if delete.prevKV, let refusal = keyRefusal(caller, .read, key: delete.key, rangeEnd: delete.rangeEnd) { return refusal }
            return keyRefusal(caller, .write, key: delete.key, rangeEnd: delete.rangeEnd)
        case .txn(let nested):
            return txnRefusal(nested, caller)
        }
    }
}
