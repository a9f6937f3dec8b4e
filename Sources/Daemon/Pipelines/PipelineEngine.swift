public import Core
public import Host
import Logging
import Rating
public import ServiceLifecycle
import Synchronization

/// One pipeline inside the daemon: the single owner of its state, applying
/// batches from every feeder (schedules, `collect` jobs, pushes) one at a time.
///
/// Exists because pulled and pushed batches of one pipeline must be metered
/// against the same baselines and committed in sequence. Feeders `submit` and
/// wait for the batch to be durable in every sink. On graceful shutdown it stops
/// taking new batches, applies those already queued, closes its sinks, returns.
public final class PipelineEngine: Service, Sendable {
    public let id: String
    let committer: BatchCommitter
    /// The committer with unbounded retries, for loading state and opening sinks at start.
    let starter: BatchCommitter
    let meters: [String: Meter]
    let logger: Logger
    let metrics: DaemonMetrics
    private let jobs: AsyncStream<Job>
    private let inbox: AsyncStream<Job>.Continuation
    private let board = Mutex(Board())

    /// What status, health and scheduling read without waiting for the queue.
    struct Board: Sendable {
        var ready = false
        var stopped = false
        var failure: String?
        var sources: [String: SourceState] = [:]
    }

    private enum Work: Sendable {
        case batch(ObservationBatch)
        case failure(String)
    }

    private struct Job: Sendable {
        var source: String
        var work: Work
        var reply: CheckedContinuation<BatchOutcome?, any Error>
    }

    /// `committer` writes batches (bounded retries, so a request fails instead of
    /// hanging while a sink is down); start-up waits for the sinks without a bound.
    init(committer: BatchCommitter, sources: [any ObservationSource], logger: Logger, metrics: DaemonMetrics) {
        self.id = committer.pipeline.id
        self.committer = committer
        var starter = committer
        starter.retry.maximumAttempts = nil
        self.starter = starter
        var meters: [String: Meter] = [:]
        for source in sources { meters[source.id] = Meter(options: source.metering) }
        self.meters = meters
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(committer.pipeline.id)"
        self.logger = logger
        self.metrics = metrics
        (jobs, inbox) = AsyncStream.makeStream(of: Job.self)
    }

    /// Applies `batch` of `source` and returns once every sink has it and the state is committed.
    public func submit(_ batch: ObservationBatch, from source: String) async throws -> BatchOutcome {
        guard let outcome = try await enqueue(source: source, work: .batch(batch)) else {
            throw DaemonError(.unavailable, "pipeline \(id) returned no outcome")
        }
        return outcome
    }

    /// Records that a collection of `source` failed (cursor unchanged), in order with its batches.
    public func recordFailure(of source: String, message: String) async {
        _ = try? await enqueue(source: source, work: .failure(message))
    }

    private func enqueue(source: String, work: Work) async throws -> BatchOutcome? {
        guard meters[source] != nil else { throw DaemonError(.notFound, "source \(source) is not in pipeline \(id)") }
        guard isReady else { throw DaemonError(.unavailable, "pipeline \(id) is not ready (starting or stopping)") }
        return try await withCheckedThrowingContinuation { reply in
            if case .terminated = inbox.yield(Job(source: source, work: work, reply: reply)) {
                reply.resume(throwing: DaemonError(.unavailable, "pipeline \(id) is shutting down"))
            }
        }
    }

    /// Waits until the pipeline is ready; `false` when it stopped first or the task was cancelled.
    public func waitUntilReady() async -> Bool {
        while true {
            let (ready, stopped) = board.withLock { ($0.ready, $0.stopped) }
            if stopped { return false }
            if ready { return true }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return false
            }
        }
    }

    public var isReady: Bool { board.withLock { $0.ready && !$0.stopped } }
    /// Why the pipeline stopped, when it did so with an error.
    public var failure: String? { board.withLock { $0.failure } }
    /// The committed state of every source of this pipeline that has any.
    public var sourceStates: [String: SourceState] { board.withLock { $0.sources } }

    public func cursor(of source: String) -> SourceCursor? {
        board.withLock { $0.sources[source]?.cursor }
    }

    public func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                try await serve()
            } onGracefulShutdown: { [inbox] in
                inbox.finish()
            }
        } catch {
            board.withLock {
                $0.stopped = true
                $0.failure = "\(error)"
            }
            inbox.finish()
            for await job in jobs { job.reply.resume(throwing: DaemonError(.unavailable, "pipeline \(id) stopped")) }
            try? await committer.close()
            throw error
        }
        board.withLock { $0.stopped = true }
        try await committer.close()
        logger.info("pipeline drained and closed")
    }

    private func serve() async throws {
        var state = try await cancelWhenGracefulShutdown { [starter, logger] in
            try await starter.open(logger: logger)
        }
        board.withLock {
            $0.sources = state.sources
            $0.ready = true
        }
        logger.info(
            "pipeline ready",
            metadata: [
                "last_committed_sequence": "\(state.lastCommittedSequence)", "baselines": "\(state.baselines.count)",
            ])
        for await job in jobs {
            try await handle(job, state: &state)
        }
    }

    /// Throws only when the committed state cannot be reloaded after a failed
    /// batch: going on from uncommitted baselines could lose usage, so the pipeline stops.
    private func handle(_ job: Job, state: inout PipelineState) async throws {
        var logger = logger
        logger[metadataKey: "source"] = "\(job.source)"
        switch job.work {
        case .failure(let message):
            do {
                try await committer.recordFailure(of: job.source, message: message, state: &state)
            } catch {
                logger.warning("could not record the source's failure", metadata: ["error": "\(error)"])
            }
            publish(job.source, state)
            job.reply.resume(returning: nil)
        case .batch(let batch):
            guard let meter = meters[job.source] else {
                job.reply.resume(throwing: DaemonError(.notFound, "source \(job.source) is not in pipeline \(id)"))
                return
            }
            logger[metadataKey: "batch"] = "\(state.lastCommittedSequence + 1)"
            do {
                let outcome = try await committer.apply(
                    batch, from: job.source, meter: meter, state: &state, logger: logger)
                publish(job.source, state)
                metrics.batch(source: job.source, outcome: outcome)
                logger.debug(
                    "batch committed",
                    metadata: [
                        "observations": "\(outcome.observations)", "facts": "\(outcome.facts)",
                        "position": "\(batch.position)",
                    ])
                job.reply.resume(returning: outcome)
            } catch {
                logger.error("batch failed; nothing of it was committed", metadata: ["error": "\(error)"])
                job.reply.resume(throwing: error)
                try await reload(&state, logger: logger)
                try? await committer.recordFailure(of: job.source, message: "\(error)", state: &state)
                publish(job.source, state)
            }
        }
    }

    /// Metering advanced the in-memory baselines of a batch that was not
    /// committed: start again from what the store holds.
    private func reload(_ state: inout PipelineState, logger: Logger) async throws {
        state = try await starter.retrying("reloading state", component: "state", logger: logger) {
            try await committer.store.load(pipeline: id)
        }
    }

    private func publish(_ source: String, _ state: PipelineState) {
        let sourceState = state.sources[source]
        board.withLock { $0.sources[source] = sourceState }
    }
}
