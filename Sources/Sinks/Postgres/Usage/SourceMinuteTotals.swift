public import Core
import Logging
import PostgresNIO

/// What the ledger holds from one source per subject, metric and minute over
/// the minutes in `(after, through]`, summed over dimensions and currencies.
///
/// Exists for the daemon's reconcile job, which compares it with what the
/// exporter shows for the same span.
public struct SourceMinuteTotals: Sendable {
    public let database: LedgerDatabase
    public let schema: LedgerSchema

    public init(database: LedgerDatabase, schema: LedgerSchema = .default) {
        self.database = database
        self.schema = schema
    }

    public func run(source: String, after: Timestamp, through: Timestamp) async throws -> [SourceMinuteTotal] {
        let from = after.rfc3339(fractionalDigits: .nanoseconds)
        let to = through.rfc3339(fractionalDigits: .nanoseconds)
        let query: PostgresQuery = """
            SELECT subject, metric, extract(epoch FROM minute)::bigint, sum(quantity)::text
            FROM \(unescaped: schema.minuteTotals)
            WHERE source = \(source) AND minute > \(from)::timestamptz AND minute <= \(to)::timestamptz
            GROUP BY subject, metric, minute
            """
        let logger = database.logger
        do {
            return try await database.withConnection(component: "reconcile") { connection in
                let rows = try await connection.query(query, logger: logger)
                var out: [SourceMinuteTotal] = []
                for try await (subject, metric, seconds, quantity) in rows.decode((String, String, Int64, String).self)
                {
                    out.append(
                        SourceMinuteTotal(
                            subject: subject, metric: metric, minute: Timestamp(secondsSinceEpoch: seconds),
                            quantity: quantity))
                }
                return out
            }
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: "reconcile", doing: "reading minute totals")
        }
    }
}
