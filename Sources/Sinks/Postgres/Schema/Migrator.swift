public import Core
import Logging
import PostgresNIO

/// Where a database's schema stands relative to this binary's migrations.
public struct MigrationStatus: Sendable, Hashable {
    /// Versions recorded in `schema_migrations`, ascending.
    public var applied: [Int]
    /// Versions this binary has and the database lacks: the database is behind.
    public var pending: [Int]
    /// Versions the database has and this binary does not know: a newer binary migrated it.
    public var unknown: [Int]

    public var isBehind: Bool { !pending.isEmpty }
    public var isAhead: Bool { !unknown.isEmpty }
    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }

    /// The current version (highest applied), 0 for an empty database.
    public var version: Int { applied.last ?? 0 }
}

/// Applies the ledger migrations and tells whether a database is behind.
///
/// Exists so schema changes are explicit operator actions (`billing-service
/// migrate`), applied in one transaction under an advisory lock (two replicas
/// migrating at once cannot interleave), and so `run` can refuse a database
/// that lacks a version this binary writes to.
public struct Migrator: Sendable {
    public let database: LedgerDatabase
    public let schema: LedgerSchema
    public let migrations: [Migration]

    public init(database: LedgerDatabase, schema: LedgerSchema = .default) {
        self.init(database: database, schema: schema, migrations: LedgerMigrations.all)
    }

    init(database: LedgerDatabase, schema: LedgerSchema, migrations: [Migration]) {
        self.database = database
        self.schema = schema
        self.migrations = migrations
    }

    static let component = "migrate"

    /// The command an operator runs to bring a database up to date.
    public static func migrateCommand(for url: DatabaseURL) -> String {
        "billing-service migrate --database-url '\(url)'"
    }

    /// Reads `schema_migrations` (absent: nothing applied). No changes.
    /// `deadline` bounds the wait for a connection and the query (a probe); nil: the database's own.
    public func status(within deadline: Duration? = nil) async throws -> MigrationStatus {
        let schema = self.schema
        let known = migrations.map(\.version)
        do {
            let applied = try await database.withConnection(component: Self.component, deadline: deadline) {
                connection in
                try await Self.appliedVersions(schema: schema, on: connection, logger: database.logger)
            }
            return MigrationStatus(
                applied: applied, pending: known.filter { !applied.contains($0) },
                unknown: applied.filter { !known.contains($0) })
        } catch {
            throw PostgresErrorMapping.pluginError(
                error, component: Self.component, doing: "reading the schema version")
        }
    }

    /// A permanent `PluginError` naming the command to run when the database is
    /// behind or ahead of this binary; nothing when it is current.
    public func requireCurrent(component: String, within deadline: Duration? = nil) async throws {
        let status = try await status(within: deadline)
        if status.isBehind {
            throw PluginError(
                .permanent, component: component,
                "database schema \(schema) is behind (at version \(status.version), this binary needs "
                    + "\(LedgerMigrations.latestVersion)): run `\(Self.migrateCommand(for: database.url))`")
        }
        if status.isAhead {
            throw PluginError(
                .permanent, component: component,
                "database schema \(schema) has versions \(status.unknown.map { String($0) }.joined(separator: ", ")) "
                    + "that this binary does not know: upgrade billing-service")
        }
    }

    /// Applies every missing migration in one transaction and records each, then
    /// creates the fact partitions from the month before `now` to `monthsAhead` after it.
    /// Returns the versions applied (empty when the database was current).
    @discardableResult
    public func migrate(now: Timestamp, monthsAhead: Int = 3) async throws -> [Int] {
        let schema = self.schema
        let migrations = self.migrations
        let logger = database.logger
        do {
            let applied = try await database.withTransaction(component: Self.component) { connection in
                let lockKey = "billing-migrate:\(schema.name)"
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
                try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema.name)"), logger: logger)
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            CREATE TABLE IF NOT EXISTS \(schema.migrations) (
                                version integer PRIMARY KEY,
                                name text NOT NULL,
                                applied_at timestamptz NOT NULL DEFAULT now()
                            )
                            """), logger: logger)
                let done = Set(try await Self.appliedVersions(schema: schema, on: connection, logger: logger))
                var appliedNow: [Int] = []
                for migration in migrations where !done.contains(migration.version) {
                    for statement in migration.sql(in: schema) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: schema.migrations) (version, name)
                        VALUES (\(migration.version), \(migration.name))
                        """, logger: logger)
                    appliedNow.append(migration.version)
                }
                return appliedNow
            }
            try await ensurePartitions(around: now, monthsAhead: monthsAhead)
            if !applied.isEmpty {
                logger.info("applied migrations", metadata: ["schema": "\(schema)", "versions": "\(applied)"])
            }
            return applied
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: Self.component, doing: "migrating \(schema)")
        }
    }

    /// Creates the month partitions from the month before `now` through `monthsAhead` after it.
    public func ensurePartitions(around now: Timestamp, monthsAhead: Int) async throws {
        var months: [MonthPartition] = []
        var month = MonthPartition(containing: now)
        month =
            month.month == 1
            ? MonthPartition(year: month.year - 1, month: 12) : MonthPartition(year: month.year, month: month.month - 1)
        for _ in 0...(max(0, monthsAhead) + 1) {
            months.append(month)
            month = month.next
        }
        let schema = self.schema
        let logger = database.logger
        let wanted = months
        try await database.withConnection(component: Self.component) { connection in
            try await MonthPartition.ensure(wanted, schema: schema, on: connection, logger: logger)
        }
    }

    static func appliedVersions(
        schema: LedgerSchema, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int] {
        let exists = try await connection.query(
            "SELECT to_regclass(\(schema.migrations)) IS NOT NULL", logger: logger)
        var present = false
        for try await (flag) in exists.decode(Bool.self) { present = flag }
        guard present else { return [] }
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT version FROM \(schema.migrations) ORDER BY version"), logger: logger)
        var versions: [Int] = []
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }
}
