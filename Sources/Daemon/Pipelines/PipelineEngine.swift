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
    /// The pipeline's single-writer lock across processes (empty when no sink shares a database).
    let lock: PipelineLock
    private let jobs: AsyncStream<Job>
    private let inbox: AsyncStream<Job>.Continuation
    private let board = Mutex(Board())

    /// What status, health and scheduling read without waiting for the queue.
    struct Board: Sendable {
        var ready = false
        var stopped = false
        var failure: String?
        /// Set while a failed batch's rollback has not succeeded (the pipeline writes nothing).
        var recovery: String?
        /// Why the last attempt to start (load state, open sinks) failed, while
        /// the pipeline keeps trying; `nil` once it started.
        var startProblem: (attempts: Int, error: String)?
        var sources: [String: SourceState] = [:]
        /// Whether this process writes the pipeline now, or stands by for another one.
        var role = PipelineRole.claiming
    }

    private enum Work: Sendable {
        case batch(ObservationBatch)
        case failure(String)
    }

    private struct Job: Sendable {
        var source: String
        var work: Work
        var reply: JobReply
    }

    /// `committer` writes batches (bounded retries, so a request fails instead of
    /// hanging while a sink is down); start-up waits for the sinks without a bound.
    /// `lock` is taken before the state is loaded and held while the pipeline
    /// writes; its sinks should be `LockedSink`s of it.
    init(
        committer: BatchCommitter, sources: [any ObservationSource], logger: Logger, metrics: DaemonMetrics,
        lock: PipelineLock? = nil
    ) {
        self.id = committer.pipeline.id
        self.lock = lock ?? PipelineLock(pipeline: committer.pipeline)
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
        let guarded = self.lock.guardsAnything
        board.withLock { $0.role = guarded ? .claiming : .holder }
    }

    /// Applies `batch` of `source` and returns once every sink has it and the state is committed.
    ///
    /// `wait` bounds how long the caller waits (a push: `service.push_commit_timeout`):
    /// then it gets an `unavailable` error, and the batch is dropped if the
    /// pipeline has not started on it (if it has, it may still commit; a retry
    /// of the same observations is replay-safe either way).
    public func submit(_ batch: ObservationBatch, from source: String, within wait: Duration? = nil) async throws
        -> BatchOutcome
    {
        guard let outcome = try await enqueue(source: source, work: .batch(batch), within: wait) else {
            throw DaemonError(.unavailable, "pipeline \(id) returned no outcome")
        }
        return outcome
    }

    /// Records that a collection of `source` failed (cursor unchanged), in order with its batches.
    public func recordFailure(of source: String, message: String) async {
        _ = try? await enqueue(source: source, work: .failure(message))
    }

    private func enqueue(source: String, work: Work, within wait: Duration? = nil) async throws -> BatchOutcome? {
        guard meters[source] != nil else { throw DaemonError(.notFound, "source \(source) is not in pipeline \(id)") }
        guard isReady else { throw DaemonError(.unavailable, notReadyReason) }
        let reply = JobReply()
        let id = self.id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                reply.install(continuation)
                if case .terminated = inbox.yield(Job(source: source, work: work, reply: reply)) {
                    reply.resume(throwing: DaemonError(.unavailable, "pipeline \(id) is shutting down"))
                }
                if let wait {
                    reply.expire(after: wait) {
                        DaemonError(
                            .unavailable,
                            "pipeline \(id) did not commit the batch within \(wait) (a sink or its database is slow "
                                + "or down); retry later: the same body is replay-safe")
                    }
                }
            }
        } onCancel: {
            reply.resume(throwing: CancellationError())
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
    /// Whether this process writes the pipeline now (`holder`), stands by for
    /// the process that holds its lock (`standby`), or is trying to take it (`claiming`).
    public var role: PipelineRole { board.withLock { $0.role } }

    /// Why a batch is refused while the pipeline is not ready.
    var notReadyReason: String {
        switch role {
        case .standby(let holder):
            return "pipeline \(id) is on standby: another process holds its lock and writes it (\(holder)); "
                + "this one takes over when that one stops"
        case .claiming:
            return "pipeline \(id) is not ready (taking its lock, docs/operations.md \"Two processes on one database\")"
        case .holder:
            return "pipeline \(id) is not ready (starting or stopping)"
        }
    }
    /// Why the pipeline has not started yet, after how many failed attempts (it keeps trying).
    public var startProblem: (attempts: Int, error: String)? { board.withLock { $0.startProblem } }
    /// Why the pipeline stopped, when it did so with an error.
    public var failure: String? { board.withLock { $0.failure } }
    /// Why the pipeline refuses batches after a failed one (its sinks are not
    /// rolled back yet); `nil` when it writes normally.
    public var recoveryProblem: String? { board.withLock { $0.recovery } }
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
            await lock.release()
            try? await committer.close()
            throw error
        }
        board.withLock { $0.stopped = true }
        try await committer.close()
        logger.info("pipeline drained and closed")
    }

    /// Loads the state and opens the sinks, trying again for as long as the
    /// errors are retryable; each failed attempt is on the board, so `/healthz`
    /// reports a pipeline that cannot start instead of "running".
    private func open() async throws -> PipelineState {
        var once = committer
        once.retry.maximumAttempts = 1
        let state = try await starter.retrying("starting pipeline", component: "pipeline \(id)", logger: logger) {
            do {
                return try await once.open(logger: logger)
            } catch {
                board.withLock { $0.startProblem = (($0.startProblem?.attempts ?? 0) + 1, "\(error)") }
                throw error
            }
        }
        board.withLock { $0.startProblem = nil }
        return state
    }

    /// One round per hold of the pipeline's lock: stand by until it is taken,
    /// load the committed state fresh, write until the lock is lost (then
    /// stand by again) or the queue ends (shutdown).
    private func serve() async throws {
        var jobs = self.jobs.makeAsyncIterator()
        while await holdLock() {
            var state: PipelineState
            do {
                state = try await cancelWhenGracefulShutdown { [self] in
                    try await open()
                }
            } catch  where lock.guardsAnything && !lock.isHeld {
                logger.error("lost the pipeline's lock while starting", metadata: ["error": "\(error)"])
                continue
            }
            board.withLock {
                $0.sources = state.sources
                $0.ready = true
            }
            logger.info(
                "pipeline ready",
                metadata: [
                    "last_committed_sequence": "\(state.lastCommittedSequence)",
                    "baselines": "\(state.baselines.count)",
                ])
            let watcher = watchLock()
            var recovery: Recovery?
            var lostLock = false
            while let job = await jobs.next() {
                guard lock.isHeld else {
                    job.reply.resume(throwing: DaemonError(.unavailable, notReadyReason))
                    lostLock = true
                    break
                }
                // Its caller stopped waiting (a deadline, cancellation): nothing of it was metered.
                if job.reply.isAnswered { continue }
                await handle(job, state: &state, recovery: &recovery)
            }
            watcher.cancel()
            guard lostLock else { break }
        }
        await lock.release()
    }

    /// Stands by until this process holds the pipeline's lock (at once when
    /// there is nothing to lock); false when shutdown came first.
    private func holdLock() async -> Bool {
        guard lock.guardsAnything else { return true }
        let standby = PipelineStandby(lock: lock, logger: logger)
        return await cancelWhenGracefulShutdown { [self] in
            await standby.acquire(
                report: { role in self.board.withLock { $0.role = role } },
                failed: { error in
                    // A pipeline that cannot even claim its lock cannot start: `/healthz` says so.
                    self.board.withLock { $0.startProblem = (($0.startProblem?.attempts ?? 0) + 1, "\(error)") }
                })
        }
    }

    /// On a lost lock: refuse batches at once, and wake the queue so it stands
    /// by again even when no batch is waiting. (`LockedSink` refuses the
    /// writes of a batch already under way.)
    private func watchLock() -> Task<Void, Never> {
        Task { [self] in
            guard lock.guardsAnything, let why = await lock.lost() else { return }
            board.withLock {
                $0.ready = false
                $0.role = .claiming
            }
            logger.error(
                "lost the pipeline's lock; writing nothing until it is taken again", metadata: ["why": "\(why)"])
            // Answered already: a wake-up that reaches the queue after the lock
            // was taken again is skipped like any answered job.
            let wake = JobReply()
            wake.resume(returning: nil)
            inbox.yield(Job(source: "", work: .failure(why), reply: wake))
        }
    }

    /// A batch failed and its rollback has not succeeded yet: what is still to
    /// do before the pipeline may write again.
    private struct Recovery {
        /// Why the last attempt to reload the state or roll the sinks back failed.
        var problem: String
    }

    /// Applies one job. A failed batch is answered with its error, then the
    /// pipeline recovers (see `recover`); while recovery has not succeeded,
    /// every batch is refused as unavailable and nothing is written.
    private func handle(_ job: Job, state: inout PipelineState, recovery: inout Recovery?) async {
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
            if let pending = recovery {
                recovery = await recover(&state, logger: logger)
                if recovery != nil {
                    job.reply.resume(
                        throwing: DaemonError(
                            .unavailable,
                            "pipeline \(id) is recovering from a failed batch and writes nothing until its sinks "
                                + "are rolled back: \(recovery?.problem ?? pending.problem)"))
                    return
                }
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
                recovery = await recover(&state, logger: logger)
                try? await committer.recordFailure(of: job.source, message: "\(error)", state: &state)
                publish(job.source, state)
            }
        }
    }

    /// After a failed batch: metering advanced the in-memory baselines of a
    /// batch that was not committed, and some sinks may hold it. Reloads the
    /// committed state from the store, then rolls every sink back to its
    /// sequence (FactSink's contract), so the next batch is metered and written
    /// as if the failed one had never been tried. `nil` when that succeeded;
    /// otherwise what failed (tried again before the next batch).
    private func recover(_ state: inout PipelineState, logger: Logger) async -> Recovery? {
        do {
            let committed = try await committer.retrying("reloading state", component: "state", logger: logger) {
                try await committer.store.load(pipeline: id)
            }
            state = committed
            for sink in committer.pipeline.sinks {
                try await committer.retrying("rolling back", component: sink.id, logger: logger) {
                    try await sink.rollBack(pipeline: id, toCommitted: committed.lastCommittedSequence)
                }
            }
            board.withLock { $0.recovery = nil }
            logger.info(
                "pipeline recovered from a failed batch",
                metadata: ["last_committed_sequence": "\(committed.lastCommittedSequence)"])
            return nil
        } catch {
            let problem = "\(error)"
            board.withLock { $0.recovery = problem }
            logger.error(
                "could not roll back after a failed batch; refusing batches until it succeeds",
                metadata: ["error": "\(problem)"])
            return Recovery(problem: problem)
        }
    }

    private func publish(_ source: String, _ state: PipelineState) {
        let sourceState = state.sources[source]
        board.withLock { $0.sources[source] = sourceState }
    }
}
