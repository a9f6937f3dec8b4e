import Core
import Foundation
import Host
import Hummingbird
import Logging

/// `GET /v1/status` (`GET /v1/usage` is in UsageHandler.swift).
extension APIServer {
    struct StatusBody: Encodable {
        struct Source: Encodable {
            var sourceID: String
            var pipeline: String
            var type: String
            var cursor: SourceCursor?
            var lastCompletedUntil: String?
            var lagSeconds: Int64?
            var lastAttemptedAt: String?
            var lastSucceededAt: String?
            var lastError: String?
            var consecutiveFailures: Int
            /// Observations older than their series' baseline since start (not metered).
            var lateObservations: Int

            enum CodingKeys: String, CodingKey {
                case sourceID = "source_id"
                case pipeline, type, cursor
                case lastCompletedUntil = "last_completed_until"
                case lagSeconds = "lag_seconds"
                case lastAttemptedAt = "last_attempted_at"
                case lastSucceededAt = "last_succeeded_at"
                case lastError = "last_error"
                case consecutiveFailures = "consecutive_failures"
                case lateObservations = "late_observations"
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(sourceID, forKey: .sourceID)
                try c.encode(pipeline, forKey: .pipeline)
                try c.encode(type, forKey: .type)
                try c.encode(cursor, forKey: .cursor)
                try c.encode(lastCompletedUntil, forKey: .lastCompletedUntil)
                try c.encode(lagSeconds, forKey: .lagSeconds)
                try c.encode(lastAttemptedAt, forKey: .lastAttemptedAt)
                try c.encode(lastSucceededAt, forKey: .lastSucceededAt)
                try c.encode(lastError, forKey: .lastError)
                try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
                try c.encode(lateObservations, forKey: .lateObservations)
            }
        }

        /// Whether this process writes the pipeline (`holder`) or stands by for another (`standby`).
        struct Pipeline: Encodable {
            var pipeline: String
            var role: String
            var ready: Bool
            /// The process holding the pipeline's lock (this one when `role` is `holder`);
            /// null when the pipeline has no shared database or the holder is not known yet.
            var holder: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(pipeline, forKey: .pipeline)
                try c.encode(role, forKey: .role)
                try c.encode(ready, forKey: .ready)
                try c.encode(holder, forKey: .holder)
            }

            enum CodingKeys: String, CodingKey { case pipeline, role, ready, holder }
        }

        var lastJob: JobResult?
        var pipelines: [Pipeline] = []
        var sources: [Source]

        enum CodingKeys: String, CodingKey {
            case lastJob = "last_job"
            case pipelines
            case sources
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(lastJob, forKey: .lastJob)
            try c.encode(pipelines, forKey: .pipelines)
            try c.encode(sources, forKey: .sources)
        }
    }

    func status() -> Response {
        let sources = roster.sources.map { source -> StatusBody.Source in
            let state = roster.state(of: source)
            return StatusBody.Source(
                sourceID: source.id, pipeline: source.pipeline, type: source.type, cursor: state.cursor,
                lastCompletedUntil: source.time(of: state.cursor)?.rfc3339(fractionalDigits: .automatic),
                lagSeconds: roster.lagSeconds(of: source),
                lastAttemptedAt: state.lastAttemptedAt?.rfc3339(fractionalDigits: .automatic),
                lastSucceededAt: state.lastSucceededAt?.rfc3339(fractionalDigits: .automatic),
                lastError: state.lastError, consecutiveFailures: state.consecutiveFailures,
                lateObservations: roster.lateObservations(of: source.id))
        }
        let pipelines = roster.engines.map { engine -> StatusBody.Pipeline in
            let role = engine.role
            var holder: String?
            switch role {
            case .standby(let other): holder = other.description
            case .holder where engine.lock.guardsAnything: holder = ConnectionIdentity.applicationName
            case .holder, .claiming: holder = nil
            }
            return StatusBody.Pipeline(pipeline: engine.id, role: role.name, ready: engine.isReady, holder: holder)
        }
        return JSONResponse.make(StatusBody(lastJob: roster.lastJob, pipelines: pipelines, sources: sources))
    }
}
