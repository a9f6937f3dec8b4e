public import Core
import Logging
import PostgresNIO

/// One UTC calendar month of `usage_facts`: a declarative range partition.
///
/// Exists because facts are partitioned by month (old months can be detached or
/// archived whole): `migrate` creates the coming months ahead, and a write
/// creates the months its facts fall in when they are missing (replays of old data).
public struct MonthPartition: Sendable, Hashable, Comparable {
    public let year: Int64
    public let month: Int64

    public init(year: Int64, month: Int64) {
        self.year = year
        self.month = month
    }

    /// The month `time` falls in (UTC).
    public init(containing time: Timestamp) {
        let nsPerDay: Int64 = 86_400 * Timestamp.nanosecondsPerSecond
        let (q, r) = time.nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: nsPerDay)
        let days = r < 0 ? q - 1 : q
        let civil = Timestamp.civilFromDays(days)
        self.init(year: civil.year, month: civil.month)
    }

    /// The month's first instant; saturates beyond what Int64 nanoseconds hold
    /// (only months outside `Timestamp.acceptedYears` come near), never traps.
    public var start: Timestamp { Self.firstInstant(year: year, month: month) }
    public var end: Timestamp { next.start }

    public var next: MonthPartition {
        month == 12 ? MonthPartition(year: year + 1, month: 1) : MonthPartition(year: year, month: month + 1)
    }

    /// `usage_facts_y2026m11`.
    public var tableName: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        return "usage_facts_y\(year)m\(m)"
    }

    public static func < (lhs: MonthPartition, rhs: MonthPartition) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    static func firstInstant(year: Int64, month: Int64) -> Timestamp {
        let days = Timestamp.daysFromCivil(year: year, month: month, day: 1)
        return Timestamp(secondsSinceEpoch: days * 86_400)
    }

    /// `2026-11-01T00:00:00Z`: the month's first instant written from the calendar,
    /// without nanosecond arithmetic, so any month has bounds text.
    var boundText: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        return "\(year)-\(m)-01T00:00:00Z"
    }

    /// The DDL; bounds are our own RFC 3339 text, so interpolating them is safe.
    func createStatement(in schema: LedgerSchema) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(schema.table(tableName)) PARTITION OF \(schema.facts) \
        FOR VALUES FROM ('\(boundText)') TO ('\(next.boundText)')
        """
    }

    /// Creates the partitions that do not exist yet, serialized by an advisory lock
    /// so two writers creating the same month do not collide. One transaction.
    static func ensure(
        _ months: some Sequence<MonthPartition>, schema: LedgerSchema, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let sorted = Set(months).sorted()
        guard !sorted.isEmpty else { return }
        // BEGIN/COMMIT by hand, as LedgerDatabase.withTransaction does (no ROLLBACK on a dead connection).
        try await connection.query("BEGIN", logger: logger)
        do {
            let lockKey = "billing-partitions:\(schema.name)"
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
            for month in sorted {
                try await connection.query(PostgresQuery(unsafeSQL: month.createStatement(in: schema)), logger: logger)
            }
        } catch {
            if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
    }
}
