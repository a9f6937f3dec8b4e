public import Core
import Logging
public import PostgresNIO

/// The period a usage row sums over (UTC calendar boundaries).
public enum UsageGranularity: String, Sendable, CaseIterable, Hashable {
    case minute, hour, day, month
}

/// A usage question: totals per subject, metric and currency over `[from, to)`,
/// grouped by `granularity`. `subject`/`metric` nil means all.
public struct UsageQuery: Sendable, Hashable {
    public var subject: String?
    public var metric: String?
    /// Inclusive start; `to` is exclusive. Minutes starting in the range count.
    public var from: Timestamp
    public var to: Timestamp
    public var granularity: UsageGranularity

    public init(
        subject: String? = nil, metric: String? = nil, from: Timestamp, to: Timestamp,
        granularity: UsageGranularity
    ) {
        self.subject = subject
        self.metric = metric
        self.from = from
        self.to = to
        self.granularity = granularity
    }
}

/// One answer row: exact integers and money as the ledger holds them.
public struct UsageRow: Sendable, Hashable {
    public var subject: String
    public var metric: String
    /// The base unit of `quantity` (byte, nanosecond, token, ...).
    public var unit: String
    public var periodStart: Timestamp
    /// Sum of base units, as decimal digits (may exceed 64 bits).
    public var quantity: String
    /// Sum at full ledger precision.
    public var amount: Money
    /// ISO 4217 code; empty for unrated usage.
    public var currency: String

    public init(
        subject: String, metric: String, unit: String, periodStart: Timestamp, quantity: String, amount: Money,
        currency: String
    ) {
        self.subject = subject
        self.metric = metric
        self.unit = unit
        self.periodStart = periodStart
        self.quantity = quantity
        self.amount = amount
        self.currency = currency
    }
}

/// Answers usage queries from `minute_totals` (never from facts).
///
/// Exists for `billing-service usage` and the HTTP usage endpoint: sums of
/// minutes are exact rollups of facts, and the `(subject, minute)` index makes a
/// one-subject month cheap. Periods are UTC; rows come sorted by period,
/// subject, metric, currency.
public struct UsageQueryEngine: Sendable {
    public let database: LedgerDatabase
    public let schema: LedgerSchema

    public init(database: LedgerDatabase, schema: LedgerSchema = .default) {
        self.database = database
        self.schema = schema
    }

    static let component = "usage"

    public func run(_ query: UsageQuery) async throws -> [UsageRow] {
        guard query.from < query.to else {
            throw PluginError(.permanent, component: Self.component, "--from must be before --to")
        }
        let sql = Self.sql(for: query, schema: schema)
        let logger = database.logger
        do {
            return try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(sql, logger: logger)
                var out: [UsageRow] = []
                for try await (subject, metric, currency, periodSeconds, quantity, amountText) in rows.decode(
                    (String, String, String, Int64, String, String).self)
                {
                    guard let amount = Money(decimal: amountText) else {
                        throw PluginError(.permanent, component: Self.component, "amount out of range: \(amountText)")
                    }
                    out.append(
                        UsageRow(
                            subject: subject, metric: metric, unit: MetricUnit.of(metric: metric),
                            periodStart: Timestamp(secondsSinceEpoch: periodSeconds), quantity: quantity,
                            amount: amount, currency: currency))
                }
                return out
            }
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: Self.component, doing: "querying usage")
        }
    }

    static func microsecondCeiling(_ time: Timestamp) -> Timestamp {
        let ns = time.nanosecondsSinceEpoch
        let (q, r) = ns.quotientAndRemainder(dividingBy: 1_000)
        return Timestamp(nanosecondsSinceEpoch: (r > 0 ? q + 1 : q) * 1_000)
    }

    /// The statement `run` sends for `query`, for an EXPLAIN of its plan.
    public func statement(for query: UsageQuery) -> PostgresQuery { Self.sql(for: query, schema: schema) }

    /// The statement; exposed to tests.
    static func sql(for query: UsageQuery, schema: LedgerSchema) -> PostgresQuery {
        let from = microsecondCeiling(query.from).rfc3339(fractionalDigits: .nanoseconds)
        let to = microsecondCeiling(query.to).rfc3339(fractionalDigits: .nanoseconds)
        let unit = query.granularity.rawValue
        // The bounds are bound as text and cast, so no float conversion touches them.
        // timestamptz keeps microseconds and minute starts are whole microseconds, so
        // rounding each bound up to a microsecond keeps `>=` and `<` exact.
        // Unnamed statements are planned with their parameter values, so a NULL
        // filter folds away and a subject filter uses the (subject, minute) index.
        return """
            SELECT subject, metric, currency,
                extract(epoch FROM date_trunc(\(unit), minute, 'UTC'))::bigint AS period,
                sum(quantity)::text, sum(amount)::text
            FROM \(unescaped: schema.minuteTotals)
            WHERE minute >= \(from)::timestamptz AND minute < \(to)::timestamptz
                AND (\(query.subject)::text IS NULL OR subject = \(query.subject))
                AND (\(query.metric)::text IS NULL OR metric = \(query.metric))
            GROUP BY subject, metric, currency, period
            ORDER BY period, subject, metric, currency
            """
    }
}
