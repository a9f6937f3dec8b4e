import AsyncAlgorithms
public import Core
public import Logging
public import Rating

/// Runs one pipeline: read batch → meter from saved baselines → rate → write to
/// every sink → commit state (cursor + baselines), strictly in that order.
///
/// State is committed only after every sink acknowledged, one batch at a time,
/// so a crash at any point replays at most the uncommitted batch, and sinks'
/// idempotence makes the replay change nothing. Sources read ahead in their own
/// tasks (one batch each) so decoding overlaps with writing.
public struct PipelineRunner: Sendable {
    public var pipeline: HostConfiguration.Pipeline
    public var store: any PipelineStateStore
    /// `nil` when the config names no price book: every fact is rated 0 and counted as unpriced.
    public var rater: Rater?
    public var clock: any WallClock
    public var logger: Logger
    public var retry: RetryPolicy
    public var progress: ProgressReporter?

    public init(
        pipeline: HostConfiguration.Pipeline, store: any PipelineStateStore, rater: Rater?, clock: any WallClock,
        logger: Logger, retry: RetryPolicy = RetryPolicy(), progress: ProgressReporter? = nil
    ) {
        self.pipeline = pipeline
        self.store = store
        self.rater = rater
        self.clock = clock
        self.logger = logger
        self.retry = retry
        self.progress = progress
    }

    private enum Delivery: Sendable {
        case batch(source: String, ObservationBatch)
        /// The source stopped with an error; the other sources go on.
        case failed(source: String, message: String)
    }

    /// Runs until every source is drained (finite sources) or the task is cancelled.
    public func run() async throws -> PipelineSummary {
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(pipeline.id)"
        var state = try await retrying("loading state", sink: "state", logger: logger) {
            try await store.load(pipeline: pipeline.id)
        }
        logger.info(
            "pipeline state loaded",
            metadata: [
                "last_committed_sequence": "\(state.lastCommittedSequence)",
                "baselines": "\(state.baselines.count)",
            ])
        for sink in pipeline.sinks {
            try await retrying("opening sink", sink: sink.id, logger: logger) {
                try await sink.open(pipeline: pipeline.id, lastCommittedSequence: state.lastCommittedSequence)
            }
        }
        var summary = PipelineSummary(pipeline: pipeline.id)
        do {
            try await consume(state: &state, summary: &summary, logger: logger)
        } catch {
            for sink in pipeline.sinks { try? await sink.close() }
            throw error
        }
        for sink in pipeline.sinks { try await sink.close() }
        return summary
    }

    private func consume(state: inout PipelineState, summary: inout PipelineSummary, logger: Logger) async throws {
        let channel = AsyncThrowingChannel<Delivery, any Error>()
        let sources = pipeline.sources
        let cursors = sources.map { state.sources[$0.id]?.cursor }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { readers in
                        for (source, cursor) in zip(sources, cursors) {
                            readers.addTask {
                                do {
                                    var reader = try await source.makeReader(from: cursor)
                                    while let batch = try await reader.next() {
                                        await channel.send(.batch(source: source.id, batch))
                                    }
                                } catch is CancellationError {
                                    throw CancellationError()
                                } catch {
                                    await channel.send(.failed(source: source.id, message: "\(error)"))
                                }
                            }
                        }
                        try await readers.waitForAll()
                    }
                    channel.finish()
                } catch {
                    channel.fail(error)
                }
            }
            var meters: [String: Meter] = [:]
            for source in sources { meters[source.id] = Meter(options: source.metering) }
            for try await delivery in channel {
                switch delivery {
                case .batch(let source, let batch):
                    guard let meter = meters[source] else { continue }
                    if let failure = batch.failure {
                        try await recordFailure(
                            of: source, message: failure, state: &state, summary: &summary, logger: logger)
                        continue
                    }
                    try await process(
                        batch, from: source, meter: meter, state: &state, summary: &summary, logger: logger)
                case .failed(let source, let message):
                    try await recordFailure(
                        of: source, message: message, state: &state, summary: &summary, logger: logger)
                }
            }
            try await group.waitForAll()
        }
    }

    /// Records a source's failure in the state store (cursor unchanged) and the summary.
    private func recordFailure(
        of source: String, message: String, state: inout PipelineState, summary: inout PipelineSummary,
        logger: Logger
    ) async throws {
        var sourceState = state.sources[source] ?? SourceState()
        sourceState.lastAttemptedAt = clock.now()
        sourceState.lastError = message
        sourceState.consecutiveFailures += 1
        state.sources[source] = sourceState
        summary.failures[source] = message
        logger.error("source failed", metadata: ["source": "\(source)", "error": "\(message)"])
        try await store.recordStatus(pipeline: pipeline.id, source: source, state: sourceState)
    }

    private func process(
        _ batch: ObservationBatch, from source: String, meter: Meter, state: inout PipelineState,
        summary: inout PipelineSummary, logger: Logger
    ) async throws {
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
        summary.failures[source] = nil  // a long-running source recovered
        let sequence = state.lastCommittedSequence + 1
        let commit = StateCommit(
            pipeline: pipeline.id, sequence: sequence, source: source, sourceState: sourceState,
            baselines: metered.changedBaselines)
        let factBatch = FactBatch(
            pipeline: pipeline.id, sequence: sequence, source: source, facts: facts, stateCommit: commit)

        for sink in pipeline.sinks {
            try await write(factBatch, to: sink, logger: logger)
        }
        try await store.commit(commit)
        state.apply(commit)
        try await store.checkpoint(pipeline: pipeline.id, state: state)

        summary.batches += 1
        summary.observations += batch.observations.count
        summary.facts += facts.count
        summary.resets += metered.stats.resets
        summary.gaps += metered.stats.gaps
        summary.duplicates += metered.stats.duplicates
        summary.late += metered.stats.late
        summary.baselined += metered.stats.baselined
        summary.quarantined += batch.quarantined
        for (metric, count) in unpriced { summary.unpriced[metric, default: 0] += count }
        summary.lastPosition = batch.position
        await progress?.update(summary)
    }

    /// Writes with retries for retryable errors (backoff with jitter); a permanent error ends the run.
    private func write(_ batch: FactBatch, to sink: any FactSink, logger: Logger) async throws {
        try await retrying("writing batch \(batch.sequence)", sink: sink.id, logger: logger) {
            try await sink.write(batch)
        }
    }

    /// Runs `operation` until it succeeds, retrying retryable `PluginError`s with
    /// jittered exponential backoff (a database that is down is waited for); any
    /// other error, or cancellation, ends the run.
    private func retrying<T>(
        _ what: String, sink: String, logger: Logger, _ operation: () async throws -> T
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
                        "component": "\(sink)", "attempt": "\(attempt)",
                        "retry_in_ms": "\(delay.totalNanoseconds / 1_000_000)", "error": "\(error.message)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }
}
