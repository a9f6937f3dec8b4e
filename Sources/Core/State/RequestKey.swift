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
