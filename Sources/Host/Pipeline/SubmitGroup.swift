public import Core
import Synchronization

/// Group commit for one source's pushes: concurrent `submit`s that arrive
/// while the pipeline is busy are merged into one batch, metered, written and
/// committed in one transaction per sink, and every caller is answered once
/// that batch is durable.
///
/// Without it each request of a busy source waits for its own transaction,
/// so many small concurrent pushes (metald's `SendMetricsBatch`, usage
/// records) are bound by commits per second instead of by rows per second.
/// At most `inFlight` merged batches are with the engine at once (two: one
/// written while the next is metered), and a merged batch holds at most
/// `maxObservations` observations; whatever arrives meanwhile waits for the
/// next. A request that arrives when nothing is pending goes alone, at once.
///
/// Merging keeps the order of arrival (observations of a series meter as if
/// the requests came one after another); the merged batch takes the cursor of
/// the last request, as applying them one by one would. All callers of a
/// merged batch get its outcome. When it fails for a transient reason (a
/// sink down) all get the error; otherwise each request is tried alone, so
/// one request's bad data refuses only that request.
final class SubmitGroup: Sendable {
    struct Waiter: Sendable {
        var batch: ObservationBatch
        var reply: JobReply
        var wait: Duration?
        /// Called once per merged batch, with its outcome, for its first request only.
        var committed: (@Sendable (BatchOutcome) -> Void)?
    }

    private struct State {
        var pending: [Waiter] = []
        var running = 0
    }

    let source: String
    let inFlight: Int
    let maxObservations: Int
    private let state = Mutex(State())

    init(source: String, inFlight: Int = 2, maxObservations: Int = 200_000) {
        self.source = source
        self.inFlight = inFlight
        self.maxObservations = maxObservations
    }

    /// Applies `batch` with whatever is pending beside it; returns once durable.
    func submit(
        _ batch: ObservationBatch, within wait: Duration?, to engine: PipelineEngine,
        timeout: @escaping @Sendable () -> any Error, committed: (@Sendable (BatchOutcome) -> Void)?
    ) async throws -> BatchOutcome? {
        let reply = JobReply()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                reply.install(continuation)
                if let wait { reply.expire(after: wait, with: timeout) }
                let starts = state.withLock { state -> Bool in
                    state.pending.append(Waiter(batch: batch, reply: reply, wait: wait, committed: committed))
                    guard state.running < inFlight else { return false }
                    state.running += 1
                    return true
                }
                if starts { Task { await self.drain(engine) } }
            }
        } onCancel: {
            reply.resume(throwing: CancellationError())
        }
    }

    /// Submits merged batches until nothing is pending.
    private func drain(_ engine: PipelineEngine) async {
        while true {
            let group = state.withLock { state -> [Waiter] in
                var taken: [Waiter] = []
                var observations = 0
                var rest: [Waiter] = []
                for waiter in state.pending where !waiter.reply.isAnswered {
                    let count = waiter.batch.observations.count
                    if taken.isEmpty || (rest.isEmpty && observations + count <= maxObservations) {
                        taken.append(waiter)
                        observations += count
                    } else {
                        rest.append(waiter)
                    }
                }
                state.pending = rest
                if taken.isEmpty { state.running -= 1 }
                return taken
            }
            guard let first = group.first else { return }
            do {
                let outcome = try await engine.submit(Self.merge(group.map(\.batch)), from: source, within: first.wait)
                first.committed?(outcome)
                for waiter in group { waiter.reply.resume(returning: outcome) }
            } catch {
                guard group.count > 1, !WorkRefusal.isTransient(error) else {
                    for waiter in group { waiter.reply.resume(throwing: error) }
                    continue
                }
                // One request's data failed the merged batch (rating out of range,
                // say): each goes alone, so only that one is refused.
                for waiter in group where !waiter.reply.isAnswered {
                    do {
                        let outcome = try await engine.submit(waiter.batch, from: source, within: waiter.wait)
                        waiter.committed?(outcome)
                        waiter.reply.resume(returning: outcome)
                    } catch {
                        waiter.reply.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// The batches as one, in order: the last one's cursor, the sums of their counts.
    static func merge(_ batches: [ObservationBatch]) -> ObservationBatch {
        guard batches.count > 1, let first = batches.first, let last = batches.last else {
            return batches.first ?? ObservationBatch(observations: [], cursor: SourceCursor(json: "null"), position: "")
        }
        var observations: [Observation] = []
        observations.reserveCapacity(batches.reduce(0) { $0 + $1.observations.count })
        for batch in batches { observations.append(contentsOf: batch.observations) }
        var merged = ObservationBatch(
            observations: observations, cursor: last.cursor,
            position: "\(batches.count) pushes committed together (\(first.position) … \(last.position))",
            quarantined: batches.reduce(0) { $0 + $1.quarantined }, samples: batches.reduce(0) { $0 + $1.samples })
        merged.requestKeys = batches.flatMap(\.requestKeys)
        return merged
    }
}
