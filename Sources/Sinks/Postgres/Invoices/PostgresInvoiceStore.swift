public import Core
public import Invoicing
import Logging
import PostgresNIO
public import Rating

/// Invoices in the ledger's PostgreSQL database (tables of migration 4).
///
/// Exists to give invoicing the transactions it relies on: a run writes its
/// drafts under a per-period advisory lock, a finalization takes the next
/// number from the prefix's counter row in the same transaction that marks the
/// invoice finalized (so a rollback or a crash leaves no used number), and the
/// schema's triggers refuse any change to a finalized invoice but a void.
public struct PostgresInvoiceStore: InvoiceStore {
    public let database: LedgerDatabase
    public let schema: LedgerSchema
    static let component = "invoices"

    public init(database: LedgerDatabase, schema: LedgerSchema? = nil) {
        self.database = database
        self.schema = schema ?? database.schema
    }

    var invoices: String { schema.table("invoices") }
    var lines: String { schema.table("invoice_lines") }
    var counters: String { schema.table("invoice_number_counters") }
    var spans: String { schema.table("activity_spans") }
    var auditEvents: String { schema.table("invoice_audit_events") }

    static func text(_ time: Timestamp) -> String { time.rfc3339(fractionalDigits: .nanoseconds) }

    func mapped<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as InvoiceError {
            throw error
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: Self.component, doing: what)
        }
    }

    // MARK: usage

    public func periodUsage(period: BillingPeriod, segmentStarts: [Timestamp], subject: String?) async throws
        -> [SeriesPeriodTotal]
    {
        let starts = segmentStarts.isEmpty ? [period.start] : segmentStarts
        let bounds = zip(starts, starts.dropFirst() + [period.end]).map { ($0, $1) }
        let totals = schema.minuteTotals
        let seriesTable = schema.series
        let logger = database.logger
        return try await mapped("reading the period's minute totals") {
            try await database.withConnection(component: Self.component) { connection in
                // Labels per series from the series table (one row each, written by the
                // sink with the series' first facts), not from the period's facts; the
                // dimensions are split into keys and values once per series.
                var identity: [String: (source: String, dimensions: [Dimension])] = [:]
                var out: [SeriesPeriodTotal] = []
                for (start, end) in bounds {
                    // Grouped by the series id alone (its subject and metric come with its labels).
                    let rows = try await connection.query(
                        """
                        SELECT t.series_id::text, s.series_id IS NOT NULL, s.source, s.subject, s.metric,
                            ARRAY(SELECT key FROM jsonb_each_text(s.dimensions) ORDER BY key),
                            ARRAY(SELECT value FROM jsonb_each_text(s.dimensions) ORDER BY key),
                            t.quantity::text, t.first, t.last
                        FROM (
                            SELECT series_id, sum(quantity) AS quantity,
                                extract(epoch FROM min(minute))::bigint AS first,
                                extract(epoch FROM max(minute))::bigint AS last
                            FROM \(unescaped: totals)
                            WHERE minute >= \(Self.text(start))::timestamptz AND minute < \(Self.text(end))::timestamptz
                                AND (\(subject)::text IS NULL OR subject = \(subject))
                            GROUP BY series_id
                        ) AS t LEFT JOIN \(unescaped: seriesTable) AS s ON s.series_id = t.series_id
                        """, logger: logger)
                    for try await (id, labelled, source, subjectName, metric, keys, values, quantity, first, last)
                        in rows.decode(
                            (String, Bool, String?, String?, String?, [String]?, [String]?, String, Int64, Int64).self)
                    {
                        guard let amount = UInt128(quantity) else {
                            throw InvoiceError.storage("minute totals of series \(id): quantity \(quantity)")
                        }
                        guard labelled, let source, let subjectName, let metric else {
                            throw InvoiceError.storage(
                                "minute totals of series \(id) have no row in \(seriesTable) (migration 8 fills it)")
                        }
                        let labels: (source: String, dimensions: [Dimension])
                        if let known = identity[id] {
                            labels = known
                        } else {
                            labels = (source, zip(keys ?? [], values ?? []).map { Dimension($0, $1) })
                            identity[id] = labels
                        }
                        out.append(
                            SeriesPeriodTotal(
                                series: SeriesKey(
                                    source: labels.source, subject: subjectName, metric: metric,
                                    dimensions: labels.dimensions),
                                firstMinute: Timestamp(secondsSinceEpoch: first),
                                lastMinute: Timestamp(secondsSinceEpoch: last), quantity: amount))
                    }
                }
                return out
            }
        }
    }

    // MARK: activity

    public func activitySpans(period: BillingPeriod, subject: String?) async throws -> [ActivitySpan] {
        let table = spans
        let logger = database.logger
        return try await mapped("reading activity spans") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    SELECT subject, dimension_key, dimension_value, start_ns, stop_ns FROM \(unescaped: table)
                    WHERE start_ns < \(period.end.nanosecondsSinceEpoch)
                        AND (stop_ns IS NULL OR stop_ns > \(period.start.nanosecondsSinceEpoch))
                        AND (\(subject)::text IS NULL OR subject = \(subject))
                    ORDER BY subject, dimension_key, dimension_value, start_ns
                    """, logger: logger)
                var out: [ActivitySpan] = []
                for try await (name, key, value, start, stop) in rows.decode(
                    (String, String, String, Int64, Int64?).self)
                {
                    out.append(
                        ActivitySpan(
                            subject: name, dimension: key.isEmpty ? nil : Dimension(key, value),
                            start: Timestamp(nanosecondsSinceEpoch: start),
                            stop: stop.map(Timestamp.init(nanosecondsSinceEpoch:))))
                }
                return out
            }
        }
    }

    public func importActivity(_ input: [ActivitySpan]) async throws -> ActivityImportResult {
        let table = spans
        let logger = database.logger
        return try await mapped("importing activity spans") {
            try await database.withTransaction(component: Self.component) { connection in
                var inserted = 0
                var unchanged = 0
                for span in input {
                    // A span kept open is closed by a later import that knows its stop.
                    let rows = try await connection.query(
                        """
                        INSERT INTO \(unescaped: table) AS s (subject, dimension_key, dimension_value, start_ns, stop_ns)
                        VALUES (\(span.subject), \(span.dimension?.key ?? ""), \(span.dimension?.value ?? ""),
                            \(span.start.nanosecondsSinceEpoch), \(span.stop?.nanosecondsSinceEpoch))
                        ON CONFLICT (subject, dimension_key, dimension_value, start_ns) DO UPDATE
                            SET stop_ns = EXCLUDED.stop_ns, imported_at = now()
                            WHERE s.stop_ns IS NULL AND EXCLUDED.stop_ns IS NOT NULL
                        RETURNING 1::int4
                        """, logger: logger)
                    var wrote = false
                    for try await _ in rows.decode(Int32.self) { wrote = true }
                    if wrote { inserted += 1 } else { unchanged += 1 }
                }
                return ActivityImportResult(inserted: inserted, unchanged: unchanged)
            }
        }
    }

    public func closeActivity(dimension: Dimension, at stop: Timestamp) async throws -> Int {
        let table = spans
        let logger = database.logger
        return try await mapped("closing activity spans") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET stop_ns = \(stop.nanosecondsSinceEpoch), imported_at = now()
                    WHERE dimension_key = \(dimension.key) AND dimension_value = \(dimension.value)
                        AND stop_ns IS NULL AND start_ns <= \(stop.nanosecondsSinceEpoch)
                    RETURNING 1::int4
                    """, logger: logger)
                var closed = 0
                for try await _ in rows.decode(Int32.self) { closed += 1 }
                return closed
            }
        }
    }

    // MARK: completeness

    public func sourceProgress(period: BillingPeriod, subject: String) async throws -> [SourceProgress] {
        let totals = schema.minuteTotals
        let state = schema.sourceState
        let logger = database.logger
        return try await mapped("reading source progress") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    SELECT f.source, s.pipeline, s.last_succeeded_ns, COALESCE(s.consecutive_failures, 0), s.last_error
                    FROM (SELECT DISTINCT source FROM \(unescaped: totals)
                          WHERE subject = \(subject) AND minute >= \(Self.text(period.start))::timestamptz
                            AND minute < \(Self.text(period.end))::timestamptz) f
                    LEFT JOIN \(unescaped: state) s ON s.source = f.source
                    ORDER BY f.source, s.pipeline
                    """, logger: logger)
                var out: [SourceProgress] = []
                for try await (source, pipeline, succeeded, failures, error) in rows.decode(
                    (String, String?, Int64?, Int32, String?).self)
                {
                    out.append(
                        SourceProgress(
                            pipeline: pipeline ?? "?", source: source,
                            lastSucceeded: succeeded.map(Timestamp.init(nanosecondsSinceEpoch:)),
                            consecutiveFailures: Int(failures), lastError: error))
                }
                return out
            }
        }
    }

    public func seriesGaps(period: BillingPeriod, subject: String) async throws -> [SeriesGap] {
        let facts = schema.facts
        let logger = database.logger
        return try await mapped("reading gap-flagged facts") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    SELECT source, metric, dimensions::text, min(from_ns), max(to_ns) FROM \(unescaped: facts)
                    WHERE subject = \(subject) AND minute >= \(Self.text(period.start))::timestamptz
                        AND minute < \(Self.text(period.end))::timestamptz AND (flags & 2) <> 0
                    GROUP BY source, metric, dimensions::text ORDER BY 1, 2, 3
                    """, logger: logger)
                var out: [SeriesGap] = []
                for try await (source, metric, dimensions, from, to) in rows.decode(
                    (String, String, String, Int64, Int64).self)
                {
                    out.append(
                        SeriesGap(
                            source: source, metric: metric, dimensions: dimensions,
                            from: Timestamp(nanosecondsSinceEpoch: from), to: Timestamp(nanosecondsSinceEpoch: to)))
                }
                return out
            }
        }
    }
}
