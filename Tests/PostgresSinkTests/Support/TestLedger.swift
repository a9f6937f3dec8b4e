import Core
import Foundation
import Logging
import PostgresNIO
import TestKit
import Testing

@testable import PostgresSink

/// A fresh, migrated ledger schema in the server at DATABASE_URL, dropped
/// afterwards: the sink's tests share one database and own one schema each.
///
/// The server is TestKit's (`TestDatabase.serverURL()`): a missing
/// DATABASE_URL is a failure naming scripts/test.sh, not a skip.
struct TestLedger {
    let database: LedgerDatabase
    let schema: LedgerSchema

    static var url: DatabaseURL {
        get throws {
            try DatabaseURL(parsing: try TestDatabase.serverURL())
        }
    }

    static let logger = Logger(label: "postgres-sink-tests") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a uniquely named schema; migrates it first unless `migrated` is false.
    static func with<T>(
        migrated: Bool = true, connectTimeout: Duration = .seconds(60),
        _ body: (TestLedger) async throws -> T
    ) async throws -> T {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let schema = try #require(LedgerSchema(String(name)))
        let database = LedgerDatabase(
            url: try url, options: PostgresConnectionOptions(poolSize: 4, connectTimeout: connectTimeout),
            schema: schema, logger: logger)
        let test = TestLedger(database: database, schema: schema)
        do {
            if migrated {
                try await Migrator(database: database, schema: schema).migrate(now: test.now)
            }
            let result = try await body(test)
            await test.drop()
            await database.shutdown()
            return result
        } catch {
            await test.drop()
            await database.shutdown()
            throw error
        }
    }

    /// A fixed "now" (2026-11-15) so partitions made ahead are predictable.
    var now: Timestamp { Timestamp(secondsSinceEpoch: 1_794_700_800) }

    func drop() async {
        let schema = self.schema
        _ = try? await database.withConnection(component: "test") { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema.name) CASCADE"), logger: TestLedger.logger)
        }
    }

    /// Runs a query returning one text value per row.
    func strings(_ sql: String) async throws -> [String] {
        try await database.withConnection(component: "test") { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestLedger.logger)
            var out: [String] = []
            for try await value in rows.decode(String.self) { out.append(value) }
            return out
        }
    }

    /// Runs a query returning one integer.
    func integer(_ sql: String) async throws -> Int64 {
        try await database.withConnection(component: "test") { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestLedger.logger)
            var result: Int64 = -1
            for try await value in rows.decode(Int64.self) { result = value }
            return result
        }
    }

    func execute(_ sql: String) async throws {
        try await database.withConnection(component: "test") { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestLedger.logger)
        }
    }

    func sink(id: String = "ledger") -> PostgresSink {
        PostgresSink(id: id, database: database)
    }

    /// Facts, minute totals and batch log as sorted text lines: a full picture to compare.
    func snapshot() async throws -> LedgerSnapshot {
        let s = schema.name
        return LedgerSnapshot(
            facts: try await strings(
                """
                SELECT concat_ws('|', fact_id, minute, series_id, source, subject, metric, dimensions::text,
                    from_ns, to_ns, quantity, flags, amount, currency, price_book, batch_id)
                FROM \(s).usage_facts ORDER BY fact_id
                """),
            totals: try await strings(
                """
                SELECT concat_ws('|', series_id, minute, currency, subject, metric, quantity, amount, fact_count)
                FROM \(s).minute_totals ORDER BY series_id, minute, currency
                """),
            batches: try await strings(
                """
                SELECT concat_ws('|', batch_id, pipeline, sequence, source, fact_count, inserted_count)
                FROM \(s).batch_log ORDER BY batch_id
                """))
    }

    /// Rows where minute totals differ from the sums of facts (should be none).
    func totalsMismatches() async throws -> Int64 { try await integer(schema.totalsMismatchQuery) }
}

extension PrivateCluster {
    /// The cluster's URL as the sink takes it.
    var databaseURL: DatabaseURL {
        get throws { try DatabaseURL(parsing: url) }
    }
}

struct LedgerSnapshot: Equatable {
    var facts: [String]
    var totals: [String]
    var batches: [String]
}
