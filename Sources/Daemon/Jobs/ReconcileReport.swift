public import Core

/// The answer of `POST /v1/jobs/reconcile`: per source, whether the ledger
/// holds exactly the increases the exporter shows for the span, and where not.
public struct ReconcileReport: Sendable, Encodable {
    /// One source's comparison.
    public struct SourceReport: Sendable, Encodable {
        public var sourceID: String
        public var since: Timestamp
        public var until: Timestamp?
        /// Minutes in `(compared_after, compared_through]` were compared.
        public var comparedAfter: Timestamp?
        public var comparedThrough: Timestamp?
        public var matches: Bool
        public var differenceCount: Int
        /// The first differences (at most `ReconcileReport.differenceLimit`).
        public var differences: [Reconciliation.Difference]
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case sourceID = "source_id"
            case since, until
            case comparedAfter = "compared_after"
            case comparedThrough = "compared_through"
            case matches
            case differenceCount = "difference_count"
            case differences, error
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sourceID, forKey: .sourceID)
            try c.encode(since.rfc3339(fractionalDigits: .automatic), forKey: .since)
            try c.encode(until?.rfc3339(fractionalDigits: .automatic), forKey: .until)
            try c.encode(comparedAfter?.rfc3339(fractionalDigits: .automatic), forKey: .comparedAfter)
            try c.encode(comparedThrough?.rfc3339(fractionalDigits: .automatic), forKey: .comparedThrough)
            try c.encode(matches, forKey: .matches)
            try c.encode(differenceCount, forKey: .differenceCount)
            try c.encode(differences, forKey: .differences)
            try c.encode(error, forKey: .error)
        }
    }

    public static let differenceLimit = 100

    public var startedAt: Timestamp
    public var finishedAt: Timestamp
    public var status: JobResult.Status
    public var sources: [SourceReport]

    enum CodingKeys: String, CodingKey {
        case job
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case status, sources
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("reconcile", forKey: .job)
        try c.encode(startedAt.rfc3339(fractionalDigits: .automatic), forKey: .startedAt)
        try c.encode(finishedAt.rfc3339(fractionalDigits: .automatic), forKey: .finishedAt)
        try c.encode(status, forKey: .status)
        try c.encode(sources, forKey: .sources)
    }
}
