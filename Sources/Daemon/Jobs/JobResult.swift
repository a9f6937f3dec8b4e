public import Core

/// The outcome of one job (a collection, a push, a reconcile), shaped as
/// UPSTREAMS §2 says: what `/v1/jobs/*`, `/v1/ingest/snapshots` and
/// `/v1/status` answer. Timestamps are RFC 3339 text; counts are exact integers.
public struct JobResult: Sendable, Equatable, Encodable {
    /// `ok`: everything succeeded; `partial`: some parts failed; `error`: all failed; `disabled`: nothing to do.
    public enum Status: String, Sendable, Equatable, Encodable {
        case ok, partial, error, disabled
    }

    /// One source's standing after the job.
    public struct SourceStatus: Sendable, Equatable, Encodable {
        public var sourceID: String
        /// The time the source's committed cursor stands at (window end, latest pushed snapshot).
        public var lastCompletedUntil: Timestamp?
        public var lastAttemptedAt: Timestamp?
        public var lastSucceededAt: Timestamp?
        public var lastError: String?
        /// Observations of this source older than their series' baseline since the
        /// daemon started: not metered (a baseline never moves back), counted so
        /// none is dropped unseen. A resent body's earlier snapshots count here too.
        public var lateObservations: Int

        public init(
            sourceID: String, lastCompletedUntil: Timestamp?, lastAttemptedAt: Timestamp?,
            lastSucceededAt: Timestamp?, lastError: String?, lateObservations: Int = 0
        ) {
            self.sourceID = sourceID
            self.lastCompletedUntil = lastCompletedUntil
            self.lastAttemptedAt = lastAttemptedAt
            self.lastSucceededAt = lastSucceededAt
            self.lastError = lastError
            self.lateObservations = lateObservations
        }

        enum CodingKeys: String, CodingKey {
            case sourceID = "source_id"
            case lastCompletedUntil = "last_completed_until"
            case lastAttemptedAt = "last_attempted_at"
            case lastSucceededAt = "last_succeeded_at"
            case lastError = "last_error"
            case lateObservations = "late_observations"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sourceID, forKey: .sourceID)
            try c.encode(lastCompletedUntil?.rfc3339(fractionalDigits: .automatic), forKey: .lastCompletedUntil)
            try c.encode(lastAttemptedAt?.rfc3339(fractionalDigits: .automatic), forKey: .lastAttemptedAt)
            try c.encode(lastSucceededAt?.rfc3339(fractionalDigits: .automatic), forKey: .lastSucceededAt)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(lateObservations, forKey: .lateObservations)
        }
    }

    /// `collect`, `ingest`, `reconcile`.
    public var job: String
    public var startedAt: Timestamp
    public var finishedAt: Timestamp
    /// Upstream samples processed (an xray sample is one account on one snapshot).
    public var processedSamples: Int
    /// Distinct minutes that received new facts.
    public var writtenMinutes: Int
    /// Distinct minutes observed again that yielded nothing new (replays, duplicates).
    public var replayedMinutes: Int
    /// Observations this job delivered that were older than their series'
    /// baseline: not metered, and counted here rather than dropped unseen.
    public var lateObservations: Int
    public var status: Status
    public var error: String?
    public var sourceStatuses: [SourceStatus]

    public init(
        job: String, startedAt: Timestamp, finishedAt: Timestamp, processedSamples: Int = 0, writtenMinutes: Int = 0,
        replayedMinutes: Int = 0, lateObservations: Int = 0, status: Status, error: String? = nil,
        sourceStatuses: [SourceStatus] = []
    ) {
        self.job = job
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.processedSamples = processedSamples
        self.writtenMinutes = writtenMinutes
        self.replayedMinutes = replayedMinutes
        self.lateObservations = lateObservations
        self.status = status
        self.error = error
        self.sourceStatuses = sourceStatuses
    }

    enum CodingKeys: String, CodingKey {
        case job
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case processedSamples = "processed_samples"
        case writtenMinutes = "written_minutes"
        case replayedMinutes = "replayed_minutes"
        case lateObservations = "late_observations"
        case status, error
        case sourceStatuses = "source_statuses"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job, forKey: .job)
        try c.encode(startedAt.rfc3339(fractionalDigits: .automatic), forKey: .startedAt)
        try c.encode(finishedAt.rfc3339(fractionalDigits: .automatic), forKey: .finishedAt)
        try c.encode(processedSamples, forKey: .processedSamples)
        try c.encode(writtenMinutes, forKey: .writtenMinutes)
        try c.encode(replayedMinutes, forKey: .replayedMinutes)
        try c.encode(lateObservations, forKey: .lateObservations)
        try c.encode(status, forKey: .status)
        try c.encode(error, forKey: .error)
        try c.encode(sourceStatuses, forKey: .sourceStatuses)
    }

    /// `ok` when every part succeeded, `error` when every part failed, `partial` between.
    public static func status(failures: Int, of parts: Int) -> Status {
        if failures == 0 { return .ok }
        return failures >= parts ? .error : .partial
    }
}
