import Core
import Host
import Logging
import Rating
public import ServiceLifecycle

/// Collects every pull source on its own interval (plus jitter), each in its
/// own task so a slow source never delays another, and on demand for
/// `POST /v1/jobs/collect`. A collection reads the source from its committed
/// cursor until the reader is drained, submitting each batch to the pipeline.
public final class CollectionScheduler: Service, Sendable {
    let roster: SourceRoster
    let jitterPercent: Int
    let logger: Logger
    private let locks: [String: AsyncLock]

    init(roster: SourceRoster, jitterPercent: Int, logger: Logger) {
        self.roster = roster
        self.jitterPercent = jitterPercent
        self.logger = logger
        var locks: [String: AsyncLock] = [:]
        for source in roster.sources { locks[source.id] = AsyncLock() }
        self.locks = locks
    }

    /// What one collection of one source did.
    struct SourceRun: Sendable {
        var samples = 0
        var writtenMinutes = 0
        var replayedMinutes = 0
        var lateObservations = 0
        var error: String?
    }

    /// The pull sources, in config order.
    var pullSources: [DaemonSource] {
        roster.sources.filter { if case .pull = $0.feed { true } else { false } }
    }

    public func run() async throws {
        // Cancellation (on graceful shutdown) stops waiting and reading; a batch
        // already submitted is still committed by its pipeline, which drains after us.
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for source in self.pullSources {
                    guard case .pull(_, let interval) = source.feed else { continue }
                    group.addTask { await self.schedule(source, every: interval) }
                }
            }
        }
    }

    private func schedule(_ source: DaemonSource, every interval: Duration) async {
        // The first collection (catch-up after downtime) starts within the jitter
        // once the pipeline has loaded its state and opened its sinks.
        guard let engine = roster.engine(of: source), await engine.waitUntilReady() else { return }
        var delay = jitter(of: interval)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            let started = roster.clock.now()
            let run = await collect(source)
            if !Task.isCancelled {
                roster.record(result(job: "collect", started: started, runs: [(source, run)]))
            }
            delay = interval + jitter(of: interval)
        }
    }

    /// Up to `jitterPercent` % of `interval`, at random.
    func jitter(of interval: Duration) -> Duration {
        let bound = interval.totalNanoseconds / 100 * Int64(jitterPercent)
        return .nanoseconds(bound > 0 ? Int64.random(in: 0...bound) : 0)
    }

    /// Collects the named sources now (all pull sources when empty), concurrently.
    public func collectNow(_ ids: [String]) async throws -> JobResult {
        let pulls = pullSources
        var chosen: [DaemonSource] = []
        for id in ids {
            guard let source = pulls.first(where: { $0.id == id }) else {
                let names = pulls.map(\.id).joined(separator: ", ")
                throw WorkRefusal(
                    .notFound, "no pull source \"\(id)\" (pull sources: \(names.isEmpty ? "none" : names))")
            }
            chosen.append(source)
        }
        if ids.isEmpty { chosen = pulls }
        let started = roster.clock.now()
        let runs = await withTaskGroup(of: (Int, SourceRun).self) { group in
            for (index, source) in chosen.enumerated() {
                group.addTask { (index, await self.collect(source)) }
            }
            var runs: [(Int, SourceRun)] = []
            for await run in group { runs.append(run) }
            return runs.sorted { $0.0 < $1.0 }.map { (chosen[$0.0], $0.1) }
        }
        let job = result(job: "collect", started: started, runs: runs)
        roster.record(job)
        return job
    }

    /// One collection of one source, never two of the same source at once.
    func collect(_ source: DaemonSource) async -> SourceRun {
        guard case .pull(let pull, _) = source.feed, let engine = roster.engine(of: source),
            let lock = locks[source.id]
        else { return SourceRun(error: "not a pull source") }
        var sourceLogger = logger
        sourceLogger[metadataKey: "source"] = "\(source.id)"
        sourceLogger[metadataKey: "job"] = "collect"
        let logger = sourceLogger
        return await lock.withLock {
            var run = SourceRun()
            do {
                var reader = try await pull.makeReader(from: engine.cursor(of: source.id))
                while let batch = try await reader.next() {
                    if let failure = batch.failure {
                        // A source retrying by itself: its status shows it, nothing is committed.
                        await engine.recordFailure(of: source.id, message: failure)
                        continue
                    }
                    let outcome: BatchOutcome
                    do {
                        outcome = try await engine.submit(batch, from: source.id)
                    } catch {
                        // The engine has recorded the failed batch in the source's state.
                        throw SubmitFailure(underlying: error)
                    }
                    run.samples += outcome.samples
                    run.writtenMinutes += outcome.writtenMinutes
                    run.replayedMinutes += outcome.replayedMinutes
                    run.lateObservations += outcome.stats.late
                    roster.countLate(outcome.stats.late, of: source.id)
                }
                logger.info(
                    "collection finished",
                    metadata: ["samples": "\(run.samples)", "written_minutes": "\(run.writtenMinutes)"])
            } catch is CancellationError {
                run.error = "cancelled (shutting down)"
            } catch let failure as SubmitFailure {
                run.error = "\(failure.underlying)"
                logger.error("collection failed writing a batch", metadata: ["error": "\(failure.underlying)"])
            } catch {
                run.error = "\(error)"
                logger.error("collection failed", metadata: ["error": "\(error)"])
                await engine.recordFailure(of: source.id, message: "\(error)")
            }
            return run
        }
    }

    /// A batch was read but the pipeline could not apply it.
    private struct SubmitFailure: Error {
        var underlying: any Error
    }

    func result(job: String, started: Timestamp, runs: [(DaemonSource, SourceRun)]) -> JobResult {
        let failures = runs.filter { $0.1.error != nil }
        let errors = failures.map { "\($0.0.id): \($0.1.error ?? "")" }
        return JobResult(
            job: job, startedAt: started, finishedAt: roster.clock.now(),
            processedSamples: runs.reduce(0) { $0 + $1.1.samples },
            writtenMinutes: runs.reduce(0) { $0 + $1.1.writtenMinutes },
            replayedMinutes: runs.reduce(0) { $0 + $1.1.replayedMinutes },
            lateObservations: runs.reduce(0) { $0 + $1.1.lateObservations },
            status: runs.isEmpty ? .disabled : JobResult.status(failures: failures.count, of: runs.count),
            error: errors.isEmpty ? nil : errors.joined(separator: "; "),
            sourceStatuses: runs.map { roster.status(of: $0.0) })
    }
}
