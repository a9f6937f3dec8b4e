public import Core

/// The pipeline's check of a batch's `request_id`s before it is metered: a key
/// committed with another digest, sent twice in the batch with two, or sent
/// with another digest by a batch still being written is a `RequestKeyConflict`.
///
/// Exists because the state store only knows committed keys, and the engine
/// meters a batch while the one before it is written: two requests with one
/// key could otherwise pass the check one after the other and both commit.
/// Keys of batches handed to the writer are kept in two generations of at most
/// `generation` keys each (the writer holds at most a few batches), and
/// forgotten after a failed batch (they were never committed).
struct RequestKeyGuard {
    private var current: [String: [String: String]] = [:]
    private var previous: [String: [String: String]] = [:]
    private var count = 0
    let generation: Int

    init(generation: Int = 200_000) { self.generation = generation }

    /// The conflict that refuses `batch`, if any; otherwise drops from its
    /// `requestKeys` those the store already holds (a retry of a committed
    /// record: nothing to insert). Throws what the store throws.
    func check(
        _ batch: inout ObservationBatch, of source: String, pipeline: String, store: any PipelineStateStore
    ) async throws -> RequestKeyConflict? {
        guard !batch.requestKeys.isEmpty, store.keepsRequestKeys else { return nil }
        let keys = Array(Set(batch.requestKeys.map(\.key)))
        let committed = try await store.requestDigests(pipeline: pipeline, source: source, keys: keys)
        var known = committed
        for key in keys {
            if let digest = current[source]?[key] ?? previous[source]?[key] { known[key] = digest }
        }
        if let conflict = RequestKeyConflict.first(in: batch.requestKeys, committed: known) { return conflict }
        if !committed.isEmpty { batch.requestKeys.removeAll { committed[$0.key] != nil } }
        return nil
    }

    /// Records the keys of a batch handed to the writer.
    mutating func note(_ batch: ObservationBatch, of source: String) {
        guard !batch.requestKeys.isEmpty else { return }
        if count + batch.requestKeys.count > generation {
            previous = current
            current = [:]
            count = 0
        }
        for key in batch.requestKeys where current[source]?[key.key] == nil {
            current[source, default: [:]][key.key] = key.digest
            count += 1
        }
    }

    /// After a failed batch: nothing noted since the last commit was committed.
    mutating func forget() {
        current = [:]
        previous = [:]
        count = 0
    }
}
