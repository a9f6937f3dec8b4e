import Core
import Host
import Hummingbird
import Logging
import Rating
import XrayPush

/// `POST /v1/jobs/collect` and `POST /v1/ingest/snapshots`.
extension APIServer {
    /// Collects every pull source now, or those named by `?source=` (repeatable).
    /// 200 with the job result (502 when every source failed).
    func collect(_ request: Request) async -> Response {
        let ids = request.uri.queryParameters.getAll("source").map { String($0) }
        do {
            let job = try await scheduler.collectNow(ids)
            return JSONResponse.make(job, status: job.status == .error ? .badGateway : .ok)
        } catch {
            return Self.failure(error)
        }
    }

    /// The `xray_push` source a push names with `?source=`, or the only one.
    func pushSource(named id: String?) throws(DaemonError) -> (DaemonSource, XrayPushSource) {
        let pushes = roster.sources.compactMap { source -> (DaemonSource, XrayPushSource)? in
            if case .push(let push) = source.feed { return (source, push) }
            return nil
        }
        if let id {
            guard let found = pushes.first(where: { $0.0.id == id }) else {
                let names = pushes.map(\.0.id).joined(separator: ", ")
                throw DaemonError(
                    .notFound, "no xray_push source \"\(id)\" (push sources: \(names.isEmpty ? "none" : names))")
            }
            return found
        }
        guard pushes.count == 1, let only = pushes.first else {
            throw DaemonError(
                pushes.isEmpty ? .notFound : .badRequest,
                pushes.isEmpty
                    ? "no source of type xray_push is configured"
                    : "several xray_push sources: name one with ?source=")
        }
        return only
    }

    /// Push ingest: 415 for a body that is not JSON or NDJSON (`PushContentType`);
    /// the whole body is decoded first (413 over the source's limit,
    /// 422 with the first bad position), then applied as one batch; 200 with the job result,
    /// or 503 with `Retry-After` when it was not committed within `service.push_commit_timeout`.
    func ingest(_ request: Request) async -> Response {
        if let refusal = PushContentType.refusal(request.headers[.contentType]) { return refusal }
        let started = roster.clock.now()
        let source: DaemonSource
        let push: XrayPushSource
        do {
            (source, push) = try pushSource(named: request.uri.queryParameters["source"].map(String.init))
        } catch {
            return Self.failure(error)
        }
        guard let engine = roster.engine(of: source) else {
            return Self.failure(DaemonError(.notFound, "source \(source.id) feeds no pipeline"))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Int(push.settings.maxBodyBytes))
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return refused(
                XrayPushRejection(.tooLarge, "the body exceeds max_body_bytes (\(push.settings.maxBodyBytes) bytes)"),
                source: source, started: started)
        } catch {
            return JSONResponse.error(.badRequest, code: "bad_request", "reading the body: \(error)")
        }
        let cursor = engine.cursor(of: source.id)
        let decoded: Result<ObservationBatch?, XrayPushRejection> = body.withUnsafeReadableBytes { raw in
            do throws(XrayPushRejection) {
                return .success(try push.batch(fromBody: raw, after: cursor))
            } catch {
                return .failure(error)
            }
        }
        let batch: ObservationBatch?
        switch decoded {
        case .success(let value): batch = value
        case .failure(let rejection): return refused(rejection, source: source, started: started)
        }
        var logger = logger
        logger[metadataKey: "source"] = "\(source.id)"
        logger[metadataKey: "job"] = "ingest"
        guard let batch else {
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .ok,
                sourceStatuses: [roster.status(of: source)])
            return JSONResponse.make(job)
        }
        do {
            let outcome = try await engine.submit(batch, from: source.id, within: pushCommitTimeout)
            // Late data is answered 200 with its count (a resent body's earlier
            // snapshots are late too, and refusing those would make a retry fail).
            roster.countLate(outcome.stats.late, of: source.id)
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(),
                processedSamples: outcome.observations / source.observationsPerSample,
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
            return JSONResponse.make(job)
        } catch {
            let job = JobResult(
                job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .error,
                error: "\(error)", sourceStatuses: [roster.status(of: source)])
            roster.record(job)
            logger.error("push failed; nothing of it was committed", metadata: ["error": "\(error)"])
            let retryable =
                (error as? PluginError)?.isRetryable == true || (error as? DaemonError)?.kind == .unavailable
            guard retryable else { return JSONResponse.make(job, status: .internalServerError) }
            var response = JSONResponse.make(job, status: .serviceUnavailable)
            response.headers[.retryAfter] = "\(Self.retryAfterSeconds)"
            return response
        }
    }

    /// The `Retry-After` of a push answered 503 (nothing of it was committed, or
    /// not yet): long enough for a database restart, short enough not to build a backlog.
    static let retryAfterSeconds = 5

    /// 413 or 422 with a job result whose error names the position; nothing was applied.
    private func refused(_ rejection: XrayPushRejection, source: DaemonSource, started: Timestamp) -> Response {
        let job = JobResult(
            job: "ingest", startedAt: started, finishedAt: roster.clock.now(), status: .error,
            error: rejection.description, sourceStatuses: [roster.status(of: source)])
        return JSONResponse.make(job, status: rejection.kind == .tooLarge ? .contentTooLarge : .unprocessableContent)
    }
}
