public import Core
import Logging
public import PostgresNIO

/// Answers usage queries from `minute_totals` (never from facts).
///
/// Exists for `billing-service usage` and the HTTP usage endpoint: sums of
/// minutes are exact rollups of facts, and the totals key (subject, minute, …),
/// which also carries the summed columns (migration 3), makes one subject's
/// range an index-only scan. A one-subject query is a statement prepared once
/// per connection; a query over all subjects is planned for its values.
/// Periods are UTC; rows come sorted by period, subject, metric, currency.
public struct UsageQueryEngine: Sendable {
    public let database: LedgerDatabase
    /// The database's own schema: its connections resolve the prepared statement there.
    public var schema: LedgerSchema { database.schema }

    public init(database: LedgerDatabase) {
        self.database = database
    }

    static let component = "usage"

    /// Every row of the answer (the CLI's `usage`, unpaged).
    public func run(_ query: UsageQuery) async throws -> [UsageRow] {
        try await rows(query, after: nil, limit: nil)
    }

    /// The rows after `cursor` (from the first when nil), at most `limit`, and
    /// the cursor of the next page when more follow.
    public func page(_ query: UsageQuery, after cursor: UsageCursor?, limit: Int) async throws -> UsagePage {
        let limit = max(1, limit)
        var rows = try await rows(query, after: cursor, limit: limit + 1)
        guard rows.count > limit else { return UsagePage(rows: rows, next: nil) }
        rows.removeLast(rows.count - limit)
        return UsagePage(rows: rows, next: rows.last.map(UsageCursor.init(after:)))
    }

    func rows(_ query: UsageQuery, after cursor: UsageCursor?, limit: Int?) async throws -> [UsageRow] {
        guard query.from < query.to else {
            throw PluginError(.permanent, component: Self.component, "--from must be before --to")
        }
        let logger = database.logger
        let schema = self.schema
        do {
            return try await database.withConnection(component: Self.component) { connection in
                var out: [UsageRow] = []
                if let prepared = Self.prepared(for: query, after: cursor, limit: limit) {
                    for try await row in try await connection.execute(prepared, logger: logger) { out.append(row) }
                } else {
                    for try await row in try await connection.query(
                        Self.sql(for: query, schema: schema, after: cursor, limit: limit), logger: logger)
                    {
                        out.append(try SubjectUsageStatement.usageRow(row))
                    }
                }
                return out
            }
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: Self.component, doing: "querying usage")
        }
    }

    /// The prepared statement for a one-subject query; nil for all subjects.
    static func prepared(
        for query: UsageQuery, after cursor: UsageCursor? = nil, limit: Int? = nil
    ) -> SubjectUsageStatement? {
        guard let subject = query.subject else { return nil }
        let query = query.starting(at: cursor)
        return SubjectUsageStatement(
            subject: subject, from: bound(query.from), to: bound(query.to), metric: query.metric,
            granularity: query.granularity.rawValue, after: cursor, limit: limit)
    }

    /// A bound as the statements send it: rounded up to a microsecond (see `sql`).
    static func bound(_ time: Timestamp) -> String {
        microsecondCeiling(time).rfc3339(fractionalDigits: .nanoseconds)
    }

    static func microsecondCeiling(_ time: Timestamp) -> Timestamp {
        let ns = time.nanosecondsSinceEpoch
        let (q, r) = ns.quotientAndRemainder(dividingBy: 1_000)
        return Timestamp(nanosecondsSinceEpoch: (r > 0 ? q + 1 : q) * 1_000)
    }

    /// The statement `run` sends for `query` (the prepared one's text and
    /// values for one subject), for an EXPLAIN of its plan on this database.
    public func statement(for query: UsageQuery) -> PostgresQuery {
        guard let prepared = Self.prepared(for: query) else { return Self.sql(for: query, schema: schema) }
        return PostgresQuery(unsafeSQL: SubjectUsageStatement.sql, binds: prepared.makeBindings())
    }

    /// The statement for all subjects, planned for its values (a NULL metric
    /// filter folds away).
    static func sql(
        for query: UsageQuery, schema: LedgerSchema, after cursor: UsageCursor? = nil, limit: Int? = nil
    ) -> PostgresQuery {
        let narrowed = query.starting(at: cursor)
        let from = bound(narrowed.from)
        let to = bound(query.to)
        let unit = query.granularity.rawValue
        let limit = limit.map(Int64.init)
        // The bounds are bound as text and cast, so no float conversion touches them.
        // timestamptz keeps microseconds and minute starts are whole microseconds, so
        // rounding each bound up to a microsecond keeps `>=` and `<` exact.
        // The cursor filters the grouped rows (outside, where `period` is a column):
        // the period expression holds a bound unit, so HAVING could not name it.
        return """
            SELECT subject, metric, currency, period, quantity, amount FROM (
                SELECT subject, metric, currency,
                    extract(epoch FROM date_trunc(\(unit), minute, 'UTC'))::bigint AS period,
                    sum(quantity)::text AS quantity, sum(amount)::text AS amount
                FROM \(unescaped: schema.minuteTotals)
                WHERE minute >= \(from)::timestamptz AND minute < \(to)::timestamptz
                    AND (\(query.metric)::text IS NULL OR metric = \(query.metric))
                GROUP BY subject, metric, currency, period
            ) AS grouped
            WHERE \(cursor?.period)::bigint IS NULL
                OR (period, subject, metric, currency)
                    > (\(cursor?.period), \(cursor?.subject), \(cursor?.metric), \(cursor?.currency))
            ORDER BY period, subject, metric, currency
            LIMIT \(limit)
            """
    }
}

extension UsageQuery {
    /// The query from the start of `cursor`'s period on (no row before it can
    /// follow the cursor), so the scan skips what earlier pages read.
    func starting(at cursor: UsageCursor?) -> UsageQuery {
        guard let cursor else { return self }
        var query = self
        let start = Timestamp(secondsSinceEpoch: cursor.period)
        if start > query.from { query.from = start }
        return query
    }
}
