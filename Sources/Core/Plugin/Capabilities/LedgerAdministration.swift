public import Logging

/// Where a ledger database's schema stands, as `billing-service migrate --check` reports it.
public struct LedgerSchemaStatus: Sendable, Hashable {
    /// The migrations applied, in order.
    public var applied: [Int]
    /// Migrations this build knows that the database lacks.
    public var pending: [Int]
    /// Migrations the database has that this build does not know (a newer build migrated it).
    public var unknown: [Int]

    public init(applied: [Int], pending: [Int], unknown: [Int]) {
        self.applied = applied
        self.pending = pending
        self.unknown = unknown
    }

    /// The last migration applied (0: none).
    public var version: Int { applied.last ?? 0 }
    /// Neither behind nor ahead of this build.
    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }
}

/// One ledger database as the operator's commands administer it: `migrate`
/// brings its schema up to date, `usage` sums its minute totals. The host
/// holds this, never the database client of a concrete sink.
public protocol LedgerAdministration: Sendable {
    /// Fails at once, naming `component`, when the database refuses in a way
    /// no retry cures (wrong password, unknown role or database); a server
    /// that does not answer within `deadline` passes.
    func requireAcceptance(component: String, within deadline: Duration) async throws
    /// Which migrations are applied, missing and unknown.
    func schemaStatus() async throws -> LedgerSchemaStatus
    /// Applies the missing migrations in one transaction (and creates the
    /// partitions ahead of `now`); returns the ones applied, empty when current.
    func migrate(now: Timestamp) async throws -> [Int]
    /// Every row of `query`, unpaged, sorted by period, subject, metric, currency.
    func usageRows(_ query: UsageQuery) async throws -> [UsageRow]
    /// Closes the connections. The value is not used afterwards.
    func shutdown() async
}

/// A sink that writes a ledger the operator's commands can administer:
/// `migrate --config` and `usage --config` take the database from it.
public protocol LedgerAdministrationProvider: FactSink {
    /// The ledger this sink writes, from its config. Throws `PluginError`
    /// naming the sink when its database URL cannot be read or parsed.
    func ledgerAdministration() throws -> any LedgerAdministration
}

/// A sink factory that opens its kind of ledger from a bare database URL,
/// for `migrate` and `usage` with `--database-url` (or `DATABASE_URL`) and no config.
public protocol LedgerAdministrationFactory: SinkFactory {
    /// The ledger at `databaseURL`. Throws an error saying what is wrong with
    /// the URL; makes no connection.
    func ledgerAdministration(databaseURL: String, logger: Logger) throws -> any LedgerAdministration
}
