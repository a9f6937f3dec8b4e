import Core
import NIOCore
import PostgresNIO

/// The usage query for one subject, as a statement each connection prepares
/// once and then only binds and executes.
///
/// Exists because a subject's usage is what the API is asked most, under
/// concurrency: an unnamed statement is parsed and planned on every call,
/// which costs about as much server time as reading the rows. The plan (an
/// index-only scan of the minute-totals key, migration 3) does not depend on
/// the values, so a generic plan is as good as a custom one. The table is
/// unqualified: it resolves in the connection's search path, which
/// `LedgerDatabase` sets to its schema when it connects.
struct SubjectUsageStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT subject, metric, currency,
            extract(epoch FROM date_trunc($5, minute, 'UTC'))::bigint AS period,
            sum(quantity)::text, sum(amount)::text
        FROM \(LedgerSchema.minuteTotalsTableName)
        WHERE subject = $1 AND minute >= $2::timestamptz AND minute < $3::timestamptz
            AND ($4::text IS NULL OR metric = $4)
        GROUP BY subject, metric, currency, period
        HAVING $6::bigint IS NULL
            OR (extract(epoch FROM date_trunc($5, minute, 'UTC'))::bigint, metric, currency) > ($6, $7, $8)
        ORDER BY period, subject, metric, currency
        LIMIT $9
        """

    static let bindingDataTypes: [PostgresDataType] = [
        .text, .text, .text, .text, .text, .int8, .text, .text, .int8,
    ]

    typealias Row = UsageRow

    var subject: String
    /// RFC 3339 bounds, cast by the server (no float conversion touches them).
    var from: String
    var to: String
    var metric: String?
    /// `date_trunc`'s field: minute, hour, day or month.
    var granularity: String
    /// Rows after this key only (its subject is `subject`); nil: from the first.
    var after: UsageCursor?
    /// At most this many rows; nil: all.
    var limit: Int?

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(subject)
        bindings.append(from)
        bindings.append(to)
        if let metric { bindings.append(metric) } else { bindings.appendNull() }
        bindings.append(granularity)
        if let after {
            bindings.append(after.period)
            bindings.append(after.metric)
            bindings.append(after.currency)
        } else {
            bindings.appendNull()
            bindings.appendNull()
            bindings.appendNull()
        }
        if let limit { bindings.append(Int64(limit)) } else { bindings.appendNull() }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try Self.usageRow(row)
    }

    /// One result row of either usage statement (subject, metric, currency,
    /// period start in epoch seconds, quantity and amount as decimal text).
    ///
    /// Reads the cells' bytes directly: postgres-nio's generic tuple decoding
    /// cost more CPU per usage request than the rest of the handler.
    static func usageRow(_ row: PostgresRow) throws -> UsageRow {
        var cells = row.makeIterator()
        let subject = try text(cells.next(), "subject")
        let metric = try text(cells.next(), "metric")
        let currency = try text(cells.next(), "currency")
        let period = try integer(cells.next(), "period")
        let quantity = try text(cells.next(), "quantity")
        let amountText = try text(cells.next(), "amount")
        guard let amount = Money(decimal: amountText) else {
            throw PluginError(.permanent, component: UsageQueryEngine.component, "amount out of range: \(amountText)")
        }
        return UsageRow(
            subject: subject, metric: metric, unit: MetricUnit.of(metric: metric),
            periodStart: Timestamp(secondsSinceEpoch: period), quantity: quantity, amount: amount, currency: currency)
    }

    private static func text(_ cell: PostgresCell?, _ column: String) throws -> String {
        guard let cell, var bytes = cell.bytes else { throw missing(column) }
        // text, varchar and the like are UTF-8 in both formats.
        guard let value = bytes.readString(length: bytes.readableBytes) else { throw missing(column) }
        return value
    }

    private static func integer(_ cell: PostgresCell?, _ column: String) throws -> Int64 {
        guard let cell, var bytes = cell.bytes else { throw missing(column) }
        switch (cell.format, cell.dataType) {
        case (.binary, .int8):
            if bytes.readableBytes == 8, let value = bytes.readInteger(as: Int64.self) { return value }
        case (.text, _):
            if let text = bytes.readString(length: bytes.readableBytes), let value = Int64(text) { return value }
        default:
            break
        }
        throw PluginError(
            .permanent, component: UsageQueryEngine.component,
            "usage column \(column): unexpected \(cell.dataType) value in \(cell.format) format")
    }

    private static func missing(_ column: String) -> PluginError {
        PluginError(.permanent, component: UsageQueryEngine.component, "usage column \(column) is missing or NULL")
    }
}
