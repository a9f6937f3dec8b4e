import AsyncAlgorithms
public import Core
public import Logging
public import Rating
public import ServiceLifecycle
import Synchronization

/// The one engine every way of running a pipeline uses: `run` and `collect`
/// (finite sources read to their end) and `serve` (batches submitted by
/// schedules, jobs and pushes for as long as the daemon runs).
///
/// It is the single owner of the pipeline's state. Batches are metered and
/// rated one after another from the committed baselines; a writer task writes
/// each to every sink and commits its state, strictly in sequence, while the
/// next batch is metered (batch N+1 is metered while N is written). A batch is
/// answered only once it is durable in every sink and its state committed.
///
/// **A batch that fails** (docs/operations.md, "A batch that fails"): its
/// caller gets the error, and so does any batch metered after it that was not
/// written yet (its baselines came from the failed one; answered `unavailable`,
/// so a push client retries). Then the engine reloads the committed state from
/// the store and rolls every sink back to it (`FactSink.rollBack`) before it
/// meters anything else; until that succeeds it refuses every batch as
/// `unavailable` and tries again before each one. A finite run (`run`,
/// `collect`) instead ends with the error: the next run's `open` rolls back.
public final class PipelineEngine: Service, Sendable {
    public let id: String
    let committer: BatchCommitter
    /// The committer with unbounded retries, for loading state and opening sinks in a daemon.
    let starter: BatchCommitter
    let meters: [String: Meter]
    /// Per source, the group commit of its pushes (`submitTogether`).
    let groups: [String: SubmitGroup]
    let logger: Logger
    let observer: (any PipelineObserver)?
    /// The pipeline's single-writer lock across processes (empty when no sink shares a database).
    public let lock: PipelineLock
    private let jobs: AsyncStream<Job>
    let inbox: AsyncStream<Job>.Continuation
    private let board = Mutex(Board())
    /// Committed batches, for live readers (`PushContext.commits`).
    let feed = CommitFeed()

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

    enum Work: Sendable {
        case batch(ObservationBatch)
        case failure(String)
        /// Nothing to apply: wakes the queue (after a lost lock).
        case wake
    }

    struct Job: Sendable {
        var source: String
        var work: Work
        var reply: JobReply?
    }

    /// `committer` writes batches with its retry policy (bounded in a daemon,
    /// so a request fails instead of hanging while a sink is down). `lock` is
    /// taken before the state is loaded and held while the pipeline writes;
    /// the pipeline's sinks should be `LockedSink`s of it.
    public init(
        committer: BatchCommitter, sources: [any ObservationSource], logger: Logger,
        observer: (any PipelineObserver)? = nil, lock: PipelineLock? = nil
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
        var groups: [String: SubmitGroup] = [:]
        for source in sources { groups[source.id] = SubmitGroup(source: source.id) }
        self.groups = groups
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(committer.pipeline.id)"
        self.logger = logger
        self.observer = observer
        (jobs, inbox) = AsyncStream.makeStream(of: Job.self)
        let guarded = self.lock.guardsAnything
        board.withLock { $0.role = guarded ? .claiming : .holder }
    }

    // MARK: Feeding a running engine (serve)

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
            throw WorkRefusal(.unavailable, "pipeline \(id) returned no outcome")
        }
        return outcome
    }

    /// `submit` with group commit (`SubmitGroup`): a batch that arrives while
    /// the pipeline is busy with `source` is merged with the others waiting,
    /// and they are committed together; each caller returns once the merged
    /// batch is durable, with its outcome. `committed` runs once per merged
    /// batch (count what it did there, not per caller).
    public func submitTogether(
        _ batch: ObservationBatch, from source: String, within wait: Duration? = nil,
        committed: (@Sendable (BatchOutcome) -> Void)? = nil
    ) async throws -> BatchOutcome {
        guard let group = groups[source] else {
            throw WorkRefusal(.notFound, "source \(source) is not in pipeline \(id)")
        }
        guard isReady else { throw WorkRefusal(.unavailable, notReadyReason) }
        let id = self.id
        let outcome = try await group.submit(
            batch, within: wait, to: self,
            timeout: {
                WorkRefusal(
                    .unavailable,
                    "pipeline \(id) did not commit the batch within \(wait ?? .zero) (a sink or its database is slow "
                        + "or down); retry later: the same body is replay-safe")
            }, committed: committed)
        guard let outcome else { throw WorkRefusal(.unavailable, "pipeline \(id) returned no outcome") }
        return outcome
    }

    /// Records that a collection of `source` failed (cursor unchanged), in order with its batches.
    public func recordFailure(of source: String, message: String) async {
        _ = try? await enqueue(source: source, work: .failure(message))
    }

    /// Every batch this pipeline commits from now on.
    public func commits() -> AsyncStream<CommittedBatch> { feed.subscribe() }

    private func enqueue(source: String, work: Work, within wait: Duration? = nil) async throws -> BatchOutcome? {
        guard meters[source] != nil else { throw WorkRefusal(.notFound, "source \(source) is not in pipeline \(id)") }
        guard isReady else { throw WorkRefusal(.unavailable, notReadyReason) }
        let reply = JobReply()
        let id = self.id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                reply.install(continuation)
                if case .terminated = inbox.yield(Job(source: source, work: work, reply: reply)) {
                    reply.resume(throwing: WorkRefusal(.unavailable, "pipeline \(id) is shutting down"))
                }
                if let wait {
                    reply.expire(after: wait) {
                        WorkRefusal(
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

    // MARK: What the daemon reads

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
    public var notReadyReason: String {
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

    // MARK: Serving (the daemon)

    /// Runs as a daemon service: stands by for the pipeline's lock, loads the
    /// state, applies submitted batches until graceful shutdown, then applies
    /// those already queued, closes its sinks and returns.
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
            for await job in jobs { job.reply?.resume(throwing: WorkRefusal(.unavailable, "pipeline \(id) stopped")) }
            feed.finish()
            await lock.release()
            try? await committer.close()
            throw error
        }
        board.withLock { $0.stopped = true }
        feed.finish()
        try await committer.close()
        logger.info("pipeline drained and closed")
    }

    /// Loads the state and opens the sinks, trying again for as long as the
    /// errors are retryable; each failed attempt is on the board, so `/healthz`
    /// reports a pipeline that cannot start instead of "running".
    private func openRetrying() async throws -> PipelineState {
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
                    try await openRetrying()
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
            var noSummary: RunTracker?
            let lostLock = try await process(&jobs, state: &state, policy: .recover, summary: &noSummary)
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
            inbox.yield(Job(source: "", work: .wake, reply: nil))
        }
    }

    // MARK: Finite runs (run, collect)

    /// The engine of a finite run of `pipeline` (`runToEnd`): its sinks write
    /// only while this process holds the pipeline's lock (`LockedSink`).
    public static func finite(
        pipeline: HostConfiguration.Pipeline, store: any PipelineStateStore, rater: Rater?, clock: any WallClock,
        logger: Logger, retry: RetryPolicy = RetryPolicy()
    ) -> PipelineEngine {
        let lock = PipelineLock(pipeline: pipeline)
        var locked = pipeline
        if lock.guardsAnything { locked.sinks = pipeline.sinks.map { LockedSink(base: $0, lock: lock) } }
        let committer = BatchCommitter(pipeline: locked, store: store, rater: rater, clock: clock, retry: retry)
        return PipelineEngine(committer: committer, sources: pipeline.sources, logger: logger, lock: lock)
    }

    /// Reads every source from its committed cursor until drained (or the task
    /// is cancelled), committing each batch; the first batch that cannot be
    /// written ends the run with its error. Takes the pipeline's lock first and
    /// throws `PipelineHeldElsewhere`, naming the holder, when another process has it.
    public func runToEnd(progress: ProgressReporter? = nil) async throws -> PipelineSummary {
        if lock.guardsAnything {
            try await committer.retrying("taking the pipeline's lock", component: "lock", logger: logger) {
                try await lock.claimOrThrow()
            }
        }
        board.withLock { $0.role = .holder }
        defer { board.withLock { $0.stopped = true } }
        do {
            var state = try await committer.open(logger: logger)
            logger.info(
                "pipeline state loaded",
                metadata: [
                    "last_committed_sequence": "\(state.lastCommittedSequence)",
                    "baselines": "\(state.baselines.count)",
                ])
            board.withLock {
                $0.sources = state.sources
                $0.ready = true
            }
            var summary = PipelineSummary(pipeline: id)
            try await readAll(state: &state, summary: &summary, progress: progress)
            try await committer.close()
            feed.finish()
            await lock.release()
            await progress?.update(summary)
            return summary
        } catch {
            try? await committer.close()
            feed.finish()
            await lock.release()
            throw error
        }
    }

    /// One reader task per source, each a batch ahead; their batches are
    /// processed in arrival order.
    private func readAll(state: inout PipelineState, summary: inout PipelineSummary, progress: ProgressReporter?)
        async throws
    {
        let deliveries = AsyncThrowingChannel<Job, any Error>()
        let sources = committer.pipeline.sources
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
                                        let work: Work = batch.failure.map { .failure($0) } ?? .batch(batch)
                                        await deliveries.send(Job(source: source.id, work: work, reply: nil))
                                    }
                                } catch is CancellationError {
                                    throw CancellationError()
                                } catch {
                                    await deliveries.send(
                                        Job(source: source.id, work: .failure("\(error)"), reply: nil))
                                }
                            }
                        }
                        try await readers.waitForAll()
                    }
                    deliveries.finish()
                } catch {
                    deliveries.fail(error)
                }
            }
            var iterator = deliveries.makeAsyncIterator()
            var tracker: RunTracker? = RunTracker(summary: summary, progress: progress)
            do {
                _ = try await process(&iterator, state: &state, policy: .stop, summary: &tracker)
            } catch {
                group.cancelAll()
                throw error
            }
            summary = tracker?.summary ?? summary
            try await group.waitForAll()
        }
        // Every batch is committed now: offer the final state for compaction.
        if await committer.store.wantsCheckpoint(pipeline: id) {
            try await committer.store.checkpoint(pipeline: id, state: state)
        }
    }

    // MARK: The loop both share

    /// What follows a batch that could not be metered or written.
    enum FailurePolicy {
        /// Answer it, reload the state, roll the sinks back, go on (serve).
        case recover
        /// End with its error (run, collect).
        case stop
    }

    /// Meters every job in order and hands it to the writer, which writes and
    /// commits while the next one is metered. Returns whether it stopped
    /// because the pipeline's lock was lost (serve stands by again).
    private func process<Jobs: AsyncIteratorProtocol>(
        _ jobs: inout Jobs, state: inout PipelineState, policy: FailurePolicy, summary: inout RunTracker?
    ) async throws -> Bool where Jobs.Element == Job {
        let writes = AsyncChannel<Write>()
        let writer = Writer(engine: self)
        var lostLock = false
        var failure: (any Error)?
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await writer.run(writes) }
            defer { writes.finish() }
            var recovering: String?
            var keyGuard = RequestKeyGuard()
            while let job = try await jobs.next() {
                if policy == .recover, lock.guardsAnything, !lock.isHeld {
                    job.reply?.resume(throwing: WorkRefusal(.unavailable, notReadyReason))
                    lostLock = true
                    break
                }
                // Its caller stopped waiting (a deadline, cancellation): nothing of it was metered.
                if job.reply?.isAnswered == true { continue }
                var logger = logger
                logger[metadataKey: "source"] = "\(job.source)"
                if let failed = writer.failure, recovering == nil {
                    // The writer refused a batch: the state in memory is ahead of the store.
                    await writes.send(.barrier)
                    if policy == .stop {
                        failure = failed
                        break
                    }
                    keyGuard.forget()
                    recovering = await recover(&state, after: failed, source: writer.failedSource, logger: logger)
                    if recovering == nil { writer.clearFailure() }
                }
                switch job.work {
                case .wake:
                    continue
                case .failure(let message):
                    summary?.failed(job.source, message: message, logger: logger)
                    let sourceState = committer.markFailure(of: job.source, message: message, state: &state)
                    await writes.send(.status(source: job.source, sourceState, job.reply))
                case .batch(var batch):
                    guard let meter = meters[job.source] else {
                        job.reply?.resume(
                            throwing: WorkRefusal(.notFound, "source \(job.source) is not in pipeline \(id)"))
                        continue
                    }
                    if let pending = recovering {
                        recovering = await recover(&state, after: nil, source: nil, logger: logger)
                        if let still = recovering {
                            job.reply?.resume(
                                throwing: WorkRefusal(
                                    .unavailable,
                                    "pipeline \(id) is recovering from a failed batch and writes nothing until its "
                                        + "sinks are rolled back: \(still.isEmpty ? pending : still)"))
                            continue
                        }
                        writer.clearFailure()
                    }
                    // Before metering, so a refused batch changes nothing; one query per
                    // (merged) batch, while the writer writes the one before.
                    do {
                        if let conflict = try await keyGuard.check(
                            &batch, of: job.source, pipeline: id, store: committer.store)
                        {
                            job.reply?.resume(throwing: conflict)
                            continue
                        }
                    } catch {
                        job.reply?.resume(
                            throwing: WorkRefusal(.unavailable, "reading the committed request ids: \(error)"))
                        continue
                    }
                    let prepared: PreparedBatch
                    do {
                        prepared = try committer.prepare(batch, from: job.source, meter: meter, state: &state)
                    } catch {
                        // Metering advanced the baselines before rating failed.
                        logger.error("batch failed; nothing of it was committed", metadata: ["error": "\(error)"])
                        job.reply?.resume(throwing: error)
                        if policy == .stop {
                            failure = error
                            break
                        }
                        await writes.send(.barrier)
                        keyGuard.forget()
                        recovering = await recover(&state, after: error, source: job.source, logger: logger)
                        continue
                    }
                    summary?.count(prepared.outcome, of: batch, from: job.source)
                    await summary?.report()
                    keyGuard.note(batch, of: job.source)
                    await writes.send(.batch(prepared, source: job.source, position: batch.position, job.reply))
                    if await committer.store.wantsCheckpoint(pipeline: id) {
                        // `send` returns once the writer takes the barrier, so every
                        // batch before it is committed and `state` is the committed state.
                        await writes.send(.barrier)
                        if writer.failure == nil {
                            try await committer.store.checkpoint(pipeline: id, state: state)
                        }
                    }
                }
            }
            writes.finish()
            try await group.waitForAll()
        }
        if let failure { throw failure }
        if policy == .stop, let failed = writer.failure { throw failed }
        return lostLock
    }

    /// What the metering loop hands to the writer, in order.
    enum Write: Sendable {
        case batch(PreparedBatch, source: String, position: String, JobReply?)
        case status(source: String, SourceState, JobReply?)
        /// Nothing to do: taking it proves every earlier write finished.
        case barrier
    }

    /// After a failed batch: metering advanced the in-memory baselines of a
    /// batch that was not committed, and some sinks may hold it. Reloads the
    /// committed state from the store, then rolls every sink back to its
    /// sequence (FactSink's contract), so the next batch is metered and written
    /// as if the failed one had never been tried. `nil` when that succeeded;
    /// otherwise what failed (tried again before the next batch). The writer
    /// must be idle.
    private func recover(_ state: inout PipelineState, after error: (any Error)?, source: String?, logger: Logger)
        async -> String?
    {
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
            board.withLock {
                $0.recovery = nil
                $0.sources = committed.sources
            }
            logger.info(
                "pipeline recovered from a failed batch",
                metadata: ["last_committed_sequence": "\(committed.lastCommittedSequence)"])
            if let error, let source {
                try? await committer.recordFailure(of: source, message: "\(error)", state: &state)
                publish(source, state.sources[source])
            }
            return nil
        } catch {
            let problem = "\(error)"
            board.withLock { $0.recovery = problem }
            logger.error(
                "could not roll back after a failed batch; refusing batches until it succeeds",
                metadata: ["error": "\(problem)"])
            return problem
        }
    }

    func publish(_ source: String, _ sourceState: SourceState?) {
        board.withLock { $0.sources[source] = sourceState }
    }
}

/// Receives what a pipeline committed (the daemon counts it in its metrics).
public protocol PipelineObserver: Sendable {
    func committed(source: String, outcome: BatchOutcome)
}

/// The summary of a finite run as its batches are metered, and the progress line.
struct RunTracker {
    var summary: PipelineSummary
    var progress: ProgressReporter?

    mutating func count(_ outcome: BatchOutcome, of batch: ObservationBatch, from source: String) {
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

    mutating func failed(_ source: String, message: String, logger: Logger) {
        summary.failures[source] = message
        logger.error("source failed", metadata: ["error": "\(message)"])
    }

    func report() async { await progress?.update(summary) }
}
