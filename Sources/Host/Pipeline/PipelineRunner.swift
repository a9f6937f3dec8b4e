import AsyncAlgorithms
public import Core
public import Logging
public import Rating
import Synchronization

/// Runs one pipeline: read batch → meter from saved baselines → rate → write to
/// every sink → commit state (cursor + baselines), strictly in that order.
///
/// State is committed only after every sink acknowledged, one batch at a time
/// and in sequence order, so a crash at any point replays at most the batches
/// not yet committed, and sinks' idempotence makes the replay change nothing.
/// Three stages overlap: sources read ahead in their own tasks (one batch
/// each), batch N+1 is metered and rated while batch N is written and
/// committed by a writer task, and the store's compaction waits until the
/// writer caught up (a checkpoint must be exactly the committed state).
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
    ///
    /// First takes the pipeline's lock (`PipelineLock`) and throws
    /// `PipelineHeldElsewhere`, naming the holder, when another process has it;
    /// a lost lock stops the writes (`LockedSink`).
    public func run() async throws -> PipelineSummary {
        let lock = PipelineLock(pipeline: pipeline)
        guard lock.guardsAnything else { return try await runLocked() }
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(pipeline.id)"
        try await committer.retrying("taking the pipeline's lock", component: "lock", logger: logger) {
            try await lock.claimOrThrow()
        }
        var locked = self
        locked.pipeline.sinks = pipeline.sinks.map { LockedSink(base: $0, lock: lock) }
        do {
            let summary = try await locked.runLocked()
            await lock.release()
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    /// `run` once the pipeline's lock is held (or needs none).
    private func runLocked() async throws -> PipelineSummary {
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
        let committer = self.committer
        let writes = AsyncThrowingChannel<Write, any Error>()
        let writeFailure = WriteFailure()
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
            group.addTask {
                try await Self.runWrites(writes, committer: committer, failure: writeFailure, logger: logger)
            }
            do {
                var meters: [String: Meter] = [:]
                for source in sources { meters[source.id] = Meter(options: source.metering) }
                for try await delivery in channel {
                    if let error = writeFailure.error { throw error }
                    switch delivery {
                    case .batch(let source, let batch):
                        guard let meter = meters[source] else { continue }
                        if let failure = batch.failure {
                            await recordFailure(
                                of: source, message: failure, state: &state, summary: &summary, writes: writes,
                                logger: logger)
                            continue
                        }
                        let prepared = try committer.prepare(batch, from: source, meter: meter, state: &state)
                        await writes.send(.batch(prepared))
                        count(prepared.outcome, of: batch, from: source, in: &summary)
                        await progress?.update(summary)
                        if await store.wantsCheckpoint(pipeline: pipeline.id) {
                            // `send` returns once the writer takes the barrier, so every
                            // batch before it is committed and `state` is the committed state.
                            await writes.send(.barrier)
                            if let error = writeFailure.error { throw error }
                            try await store.checkpoint(pipeline: pipeline.id, state: state)
                        }
                    case .failed(let source, let message):
                        await recordFailure(
                            of: source, message: message, state: &state, summary: &summary, writes: writes,
                            logger: logger)
                    }
                }
                writes.finish()
            } catch {
                writes.fail(error)
                throw error
            }
            try await group.waitForAll()
        }
        // Every batch is committed now: offer the final state for compaction.
        if await store.wantsCheckpoint(pipeline: pipeline.id) {
            try await store.checkpoint(pipeline: pipeline.id, state: state)
        }
    }

    /// What the metering loop hands to the writer, in order.
    private enum Write: Sendable {
        case batch(PreparedBatch)
        case status(source: String, SourceState)
        /// Nothing to do: taking it proves every earlier write finished.
        case barrier
    }

    /// The writer: sinks then state, one batch at a time, while the next batch is
    /// metered. After a failure it keeps taking (and dropping) what is sent, so
    /// the metering loop is never left waiting, until that loop sees the failure.
    private static func runWrites(
        _ writes: AsyncThrowingChannel<Write, any Error>, committer: BatchCommitter, failure: WriteFailure,
        logger: Logger
    ) async throws {
        var failed: (any Error)?
        for try await write in writes {
            guard failed == nil else { continue }
            do {
                switch write {
                case .batch(let prepared):
                    var logger = logger
                    logger[metadataKey: "batch"] = "\(prepared.outcome.sequence)"
                    try await committer.write(prepared, logger: logger)
                case .status(let source, let sourceState):
                    try await committer.store.recordStatus(
                        pipeline: committer.pipeline.id, source: source, state: sourceState)
                case .barrier:
                    break
                }
            } catch {
                failed = error
                failure.error = error
            }
        }
        if let failed { throw failed }
    }

    /// Records a source's failure (cursor unchanged): in the summary and the
    /// state now, in the store after the batches before it were committed.
    private func recordFailure(
        of source: String, message: String, state: inout PipelineState, summary: inout PipelineSummary,
        writes: AsyncThrowingChannel<Write, any Error>, logger: Logger
    ) async {
        summary.failures[source] = message
        logger.error("source failed", metadata: ["source": "\(source)", "error": "\(message)"])
        let sourceState = committer.markFailure(of: source, message: message, state: &state)
        await writes.send(.status(source: source, sourceState))
    }

    private func count(
        _ outcome: BatchOutcome, of batch: ObservationBatch, from source: String, in summary: inout PipelineSummary
    ) {
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
    }
}

/// The writer's first failure, seen by the metering loop before it meters more.
private final class WriteFailure: Sendable {
    private let value = Mutex<(any Error)?>(nil)

    var error: (any Error)? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
