import Core
import Host
import Logging
import Rating

/// What a push source gets while it serves a request: its committed cursor,
/// its pipeline (submit and wait for the commit, or follow the commits), the
/// pipeline's usage ledger, and the daemon's own job-result answer.
struct DaemonPushContext: PushContext {
    let source: DaemonSource
    let engine: PipelineEngine
    let roster: SourceRoster
    let ledger: (any UsageLedger)?
    let pricing: (any UsagePricing)?
    let activity: (any ActivityRecording)?
    /// How long a push waits for its commit (`service.push_commit_timeout`).
    let commitTimeout: Duration
    let logger: Logger

    /// The `Retry-After` of a push answered 503 (nothing of it was committed, or
    /// not yet): long enough for a database restart, short enough not to build a backlog.
    static let retryAfterSeconds = 5

    var cursor: SourceCursor? { engine.cursor(of: source.id) }
    var clock: any WallClock { roster.clock }

    func submit(_ batch: ObservationBatch) async throws(PushSubmitFailure) -> PushCommit {
        do {
            let roster = self.roster
            let id = source.id
            let outcome = try await engine.submitTogether(batch, from: id, within: commitTimeout) { merged in
                roster.countLate(merged.stats.late, of: id)
            }
            return PushCommit(
                sequence: outcome.sequence, samples: outcome.samples, observations: outcome.observations,
                facts: outcome.facts, writtenMinutes: outcome.writtenMinutes, replayedMinutes: outcome.replayedMinutes,
                lateObservations: outcome.stats.late)
        } catch {
            throw PushSubmitFailure(
                isRetryable: Self.isRetryable(error), message: "\(error)", retryAfterSeconds: Self.retryAfterSeconds,
                conflict: error as? RequestKeyConflict)
        }
    }

    func commits() -> AsyncStream<CommittedBatch> { engine.commits() }

    static func isRetryable(_ error: any Error) -> Bool { WorkRefusal.isTransient(error) }

    /// Push ingest in the daemon's terms: the whole body is read first (413
    /// over the route's limit), decoded against the committed cursor (422 with
    /// the first bad position), then applied as one batch; 200 with the job
    /// result, or 503 with `Retry-After` when it was not committed within
    /// `service.push_commit_timeout`.
    func ingest(
        _ request: PushRequest, decode: @Sendable ([UInt8], SourceCursor?) throws(PushRejection) -> ObservationBatch?
    ) async -> PushResponse {
        let started = roster.clock.now()
        let batch: ObservationBatch?
        do throws(PushRejection) {
            let body = try await request.collectBody()
            batch = try decode(body, cursor)
        } catch {
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .error,
                error: error.message, sourceStatuses: [roster.status(of: source)])
            return PushAnswer.json(job, status: error.status)
        }
        var logger = logger
        logger[metadataKey: "source"] = "\(source.id)"
        logger[metadataKey: "job"] = "ingest"
        guard let batch else {
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .ok,
                sourceStatuses: [roster.status(of: source)])
            return PushAnswer.json(job)
        }
        do {
            let outcome = try await engine.submit(batch, from: source.id, within: commitTimeout)
            // Late data is answered 200 with its count (a resent body's earlier
            // snapshots are late too, and refusing those would make a retry fail).
            roster.countLate(outcome.stats.late, of: source.id)
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), processedSamples: outcome.samples,
                writtenMinutes: outcome.writtenMinutes, replayedMinutes: outcome.replayedMinutes,
                lateObservations: outcome.stats.late, status: .ok, sourceStatuses: [roster.status(of: source)])
            roster.record(job)
            if outcome.stats.late > 0 {
                logger.warning(
                    "push held observations older than their series' baseline; not metered",
                    metadata: ["late_observations": "\(outcome.stats.late)"])
            }
            logger.info(
                "push ingested",
                metadata: [
                    "batch": "\(outcome.sequence)", "samples": "\(job.processedSamples)",
                    "written_minutes": "\(outcome.writtenMinutes)",
                ])
            return PushAnswer.json(job)
        } catch {
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .error,
                error: "\(error)", sourceStatuses: [roster.status(of: source)])
            roster.record(job)
            logger.error("push failed; nothing of it was committed", metadata: ["error": "\(error)"])
            guard Self.isRetryable(error) else { return PushAnswer.json(job, status: 500) }
            var response = PushAnswer.json(job, status: 503)
            response.headers.set("Retry-After", "\(Self.retryAfterSeconds)")
            return response
        }
    }
}
