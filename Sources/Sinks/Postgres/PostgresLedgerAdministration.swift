public import Core
public import Logging

/// A PostgreSQL ledger as `billing-service migrate` and `usage` administer it:
/// the schema migrator and the usage query engine over one database.
struct PostgresLedgerAdministration: LedgerAdministration {
    let database: LedgerDatabase

    func requireAcceptance(component: String, within deadline: Duration) async throws {
        try await database.requireAcceptance(component: component, within: deadline)
    }

    func schemaStatus() async throws -> LedgerSchemaStatus {
        let status = try await Migrator(database: database, schema: database.schema).status()
        return LedgerSchemaStatus(applied: status.applied, pending: status.pending, unknown: status.unknown)
    }

    func migrate(now: Timestamp) async throws -> [Int] {
        try await Migrator(database: database, schema: database.schema).migrate(now: now)
    }

    func usageRows(_ query: UsageQuery) async throws -> [UsageRow] {
        try await UsageQueryEngine(database: database).run(query)
    }

    func shutdown() async {
        await database.shutdown()
    }
}

/// `migrate --config` and `usage --config`: the ledger a postgres sink writes.
extension PostgresSink: LedgerAdministrationProvider {
    public func ledgerAdministration() throws -> any LedgerAdministration {
        PostgresLedgerAdministration(database: try database())
    }
}

/// `migrate` and `usage` with `--database-url`: a ledger in the default schema.
extension PostgresSinkFactory: LedgerAdministrationFactory {
    public func ledgerAdministration(databaseURL: String, logger: Logger) throws -> any LedgerAdministration {
        PostgresLedgerAdministration(
            database: LedgerDatabase(url: try DatabaseURL(parsing: databaseURL), logger: logger))
    }
}
