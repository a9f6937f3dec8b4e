/// `request_id` → the digest of the record first sent with it and the answer
/// it got, so a retry with the same record answers the same and one with a
/// different record is a 409 naming both digests.
///
/// Why it can live in memory: the facts themselves are keyed by `request_id`
/// (a keyed delta's fact id is its series and its key, not its time), so a
/// retry after a restart writes nothing even when this map is gone and answers
/// the same (the answer is a function of the record). What a restart loses is
/// only the 409 for a different record under a known key. Bounded: the oldest
/// keys are forgotten first.
public actor RequestDigests {
    public struct Entry: Sendable, Hashable {
        public var digest: String
        public var answer: [UInt8]
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
