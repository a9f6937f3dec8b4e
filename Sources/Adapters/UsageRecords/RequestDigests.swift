/// `request_id` → the digest of the record first sent with it and the answer
/// it got, so a retry with the same record answers the same and one with a
/// different record is a 409 naming both digests.
///
/// The recent keys of this process, in memory and bounded (the oldest are
/// forgotten first), so a retry is answered without touching the pipeline.
/// The durable record is the pipeline's state store: each batch carries its
/// keys (`ObservationBatch.requestKeys`), the PostgreSQL store commits them
/// with the batch, and the pipeline refuses a batch whose key was committed
/// with another digest (after a restart, or by another replica) before
/// metering it: `PushSubmitFailure.conflict`, a 409. With a store that keeps
/// no keys (the file store) this map is all there is, and a restart forgets the 409.
public actor RequestDigests {
    public struct Entry: Sendable, Hashable {
        public var digest: String
        /// The answer sent.
        public var answer: [UInt8]
        public init(digest: String, answer: [UInt8]) {
            self.digest = digest
            self.answer = answer
        }
    }

    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var head = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public func lookup(_ key: String) -> Entry? { entries[key] }

    public func lookup(_ keys: [String]) -> [String: Entry] {
        var out: [String: Entry] = [:]
        for key in keys { if let entry = entries[key] { out[key] = entry } }
        return out
    }

    /// Remembers several keys in one call (one actor hop per request, not per record).
    public func remember(_ entries: [(key: String, entry: Entry)]) {
        for (key, entry) in entries { remember(key, entry) }
    }

    public func remember(_ key: String, _ entry: Entry) {
        if entries.updateValue(entry, forKey: key) == nil { order.append(key) }
        while entries.count > capacity, head < order.count {
            entries[order[head]] = nil
            head += 1
        }
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    public var count: Int { entries.count }
}
