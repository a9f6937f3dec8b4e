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

    private var committer: BatchCommitter {
        BatchCommitter(pipeline: pipeline, store: store, rater: rater, clock: clock, retry: retry)
    }

    /// Runs until every source is drained (finite sources) or the task is cancelled.
    public func run() async throws -> PipelineSummary {
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(pipeline.id)"
        var state = try await committer.open(logger: logger)
        logger.info(
            "pipeline state loaded",
            metadata: [
                "last_committed_sequence": "\(state.lastCommittedSequence)",
                "baselines": "\(state.baselines.count)",
            ])
        var summary = PipelineSummary(pipeline: pipeline.id)
        do {
            try await consume(state: &state, summary: &summary, logger: logger)
        } catch {
            try? await committer.close()
            throw error
        }
        try await committer.close()
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
        summary.failures[source] = message
        logger.error("source failed", metadata: ["source": "\(source)", "error": "\(message)"])
        try await committer.recordFailure(of: source, message: message, state: &state)
    }

    private func process(
        _ batch: ObservationBatch, from source: String, meter: Meter, state: inout PipelineState,
        summary: inout PipelineSummary, logger: Logger
    ) async throws {
        let outcome = try await committer.apply(batch, from: source, meter: meter, state: &state, logger: logger)
        summary.failures[source] = nil  // a long-running source recovered
        summary.batches += 1
        summary.observations += outcome.observations
        summary.facts += outcome.facts
        summary.resets += outcome.stats.resets
        summary.gaps += outcome.stats.gaps
        summary.duplicates += outcome.stats.duplicates
        summary.late += outcome.stats.late
        summary.baselined += outcome.stats.baselined
        summary.quarantined += batch.quarantined
        for (metric, count) in outcome.unpriced { summary.unpriced[metric, default: 0] += count }
        summary.lastPosition = batch.position
        await progress?.update(summary)
    }
}
