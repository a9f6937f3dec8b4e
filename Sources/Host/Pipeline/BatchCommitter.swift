public import Core
public import Logging
public import Rating

/// What one committed batch did.
public struct BatchOutcome: Sendable, Equatable {
    public var sequence: UInt64
    /// Upstream samples of the batch (`ObservationBatch.samples`).
    public var samples: Int
    public var observations: Int
    public var facts: Int
    public var stats: MeteringStats
    /// Facts whose metric has no price, per metric (rated 0).
    public var unpriced: [String: Int]
    /// Distinct UTC minutes the batch's facts fall in.
    public var writtenMinutes: Int
    /// Distinct UTC minutes the batch observed that yielded no fact (already
    /// metered: a replay, a duplicate or a late observation).
    public var replayedMinutes: Int
    /// The source's state as committed with the batch.
    public var sourceState: SourceState
}

/// A batch metered and rated, with the state change that commits it: what
/// `BatchCommitter.prepare` hands to `BatchCommitter.write`.
public struct PreparedBatch: Sendable {
    /// The facts for the sinks, carrying the state commit.
    public var facts: FactBatch
    /// What the batch did, as reported once it is committed.
    public var outcome: BatchOutcome
}

/// The one step every way of running a pipeline shares: meter a batch from the
/// saved baselines, rate it, write it to every sink, then commit the state.
///
/// `PipelineEngine`, the one engine of `run`, `collect` and `serve`, meters
/// with `prepare` and writes with `write` (in its writer task), so pulled and
/// pushed data get exactly the same treatment. The caller serializes calls per
/// pipeline and owns `state`.
public struct BatchCommitter: Sendable {
    public var pipeline: HostConfiguration.Pipeline
    public var store: any PipelineStateStore
    public var rater: Rater?
    public var clock: any WallClock
    public var retry: RetryPolicy

    public init(
        pipeline: HostConfiguration.Pipeline, store: any PipelineStateStore, rater: Rater?, clock: any WallClock,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.pipeline = pipeline
        self.store = store
        self.rater = rater
        self.clock = clock
        self.retry = retry
    }

    /// Loads the pipeline's state and opens every sink (retrying what is retryable).
    public func open(logger: Logger) async throws -> PipelineState {
        let state = try await retrying("loading state", component: "state", logger: logger) {
            try await store.load(pipeline: pipeline.id)
        }
        for sink in pipeline.sinks {
            try await retrying("opening sink", component: sink.id, logger: logger) {
                try await sink.open(pipeline: pipeline.id, lastCommittedSequence: state.lastCommittedSequence)
            }
        }
        return state
    }

    /// Meters and rates one batch, and advances `state` to what it will be once
    /// the batch is committed (baselines, the source's cursor, the sequence).
    ///
    /// Nothing is written: `write` must follow, in sequence order, before the
    /// state is durable. Until then `state` is ahead of the store.
    public func prepare(
        _ batch: ObservationBatch, from source: String, meter: Meter, state: inout PipelineState
    ) throws -> PreparedBatch {
        var sourceState = state.sources[source] ?? SourceState()
        let metered = meter.meter(
            batch.observations, baselines: &state.baselines, firstMinute: &sourceState.firstMinute)
        var facts = metered.facts
        var unpriced: [String: Int] = [:]
        if let rater {
            unpriced = try rater.rate(&facts).unpriced
        } else {
            for fact in facts { unpriced[fact.series.metric, default: 0] += 1 }
        }

        let now = clock.now()
        sourceState.cursor = batch.cursor
        sourceState.lastAttemptedAt = now
        sourceState.lastSucceededAt = now
        sourceState.lastError = nil
        sourceState.consecutiveFailures = 0
        let sequence = state.lastCommittedSequence + 1
        let commit = StateCommit(
            pipeline: pipeline.id, sequence: sequence, source: source, sourceState: sourceState,
            baselines: metered.changedBaselines, requestKeys: batch.requestKeys)
        let factBatch = FactBatch(
            pipeline: pipeline.id, sequence: sequence, source: source, facts: facts, stateCommit: commit)
        // The baselines are already advanced; this sets the cursor and the sequence.
        state.lastCommittedSequence = sequence
        state.sources[source] = sourceState

        let minutes = MinuteCount(facts: facts, observations: batch.observations)
        let outcome = BatchOutcome(
            sequence: sequence, samples: batch.samples, observations: batch.observations.count, facts: facts.count,
            stats: metered.stats, unpriced: unpriced, writtenMinutes: minutes.written,
            replayedMinutes: minutes.replayed,
            sourceState: sourceState)
        return PreparedBatch(facts: factBatch, outcome: outcome)
    }

    /// Writes a prepared batch to every sink (retrying what is retryable), then
    /// commits its state: the batch is durable when this returns.
    public func write(_ prepared: PreparedBatch, logger: Logger) async throws {
        let batch = prepared.facts
        for sink in pipeline.sinks {
            try await retrying("writing batch \(batch.sequence)", component: sink.id, logger: logger) {
                try await sink.write(batch)
            }
        }
        try await store.commit(batch.stateCommit)
    }

    /// Records a source's failure in the state store (cursor unchanged).
    public func recordFailure(of source: String, message: String, state: inout PipelineState) async throws {
        let sourceState = markFailure(of: source, message: message, state: &state)
        try await store.recordStatus(pipeline: pipeline.id, source: source, state: sourceState)
    }

    /// A source's failure in `state` only (cursor unchanged); the status to record.
    public func markFailure(of source: String, message: String, state: inout PipelineState) -> SourceState {
        var sourceState = state.sources[source] ?? SourceState()
        sourceState.lastAttemptedAt = clock.now()
        sourceState.lastError = message
        sourceState.consecutiveFailures += 1
        state.sources[source] = sourceState
        return sourceState
    }

    /// Closes every sink; the first error is thrown after all were tried.
    public func close() async throws {
        var first: (any Error)?
        for sink in pipeline.sinks {
            do { try await sink.close() } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// Runs `operation` until it succeeds, retrying retryable `PluginError`s with
    /// jittered exponential backoff (a database that is down is waited for); any
    /// other error, or cancellation, ends the attempt.
    public func retrying<T>(
        _ what: String, component: String, logger: Logger, _ operation: () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as PluginError where error.isRetryable {
                attempt += 1
                if let limit = retry.maximumAttempts, attempt >= limit { throw error }
                let delay = retry.delay(attempt: attempt)
                logger.warning(
                    "\(what) failed, retrying",
                    metadata: [
                        "component": "\(component)", "attempt": "\(attempt)",
                        "retry_in_ms": "\(delay.totalNanoseconds / 1_000_000)", "error": "\(error.message)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }
}
