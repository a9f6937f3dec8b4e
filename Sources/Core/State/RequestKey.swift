/// A push request's idempotency key (`request_id`) and the digest of the body
/// first sent with it.
///
/// Exists so the answer to "was this key used before, and with what?" outlives
/// the process that first saw it: a batch carries the keys it answers for, the
/// pipeline's state store commits them with the batch's state (in the same
/// transaction, for the PostgreSQL store), and a restarted daemon or another
/// replica reads them back (`PipelineStateStore.requestDigests`) to answer a
/// different body under a known key with a conflict instead of accepting it.
public struct RequestKey: Sendable, Hashable, Codable {
    public var key: String
    public var digest: String

    public init(key: String, digest: String) {
        self.key = key
        self.digest = digest
    }
}

/// A batch names a `request_id` that was committed with another digest, or
/// twice with two digests: the pipeline refuses the batch before metering it
/// (nothing of it is written), and a push source answers its request 409.
public struct RequestKeyConflict: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    /// The digest committed first (or sent first in the same batch).
    public var committedDigest: String
    public var digest: String

    public init(key: String, committedDigest: String, digest: String) {
        self.key = key
        self.committedDigest = committedDigest
        self.digest = digest
    }

    public var description: String {
        "request_id \"\(key)\" was first sent with another record (digest \(committedDigest)); this one has digest \(digest)"
    }

    /// The first conflict of `keys` among themselves or with `committed` (key → digest), in batch order.
    public static func first(in keys: [RequestKey], committed: [String: String]) -> RequestKeyConflict? {
        var seen = committed
        for key in keys {
            if let first = seen[key.key] {
                if first != key.digest {
                    return RequestKeyConflict(key: key.key, committedDigest: first, digest: key.digest)
                }
            } else {
                seen[key.key] = key.digest
            }
        }
        return nil
    }
}
