import Core
import Testing

@testable import PostgresSink

/// Migrations apply once, record themselves, create partitions ahead, and a database that is behind is refused.
@Suite struct MigrationTests {
    @Test func freshSchemaIsBehindAndMigrateMakesItCurrent() async throws {
        try await TestLedger.with(migrated: false) { db in
            let migrator = Migrator(database: db.database, schema: db.schema)
            let before = try await migrator.status()
            #expect(before.applied.isEmpty)
            #expect(before.pending == LedgerMigrations.all.map(\.version))
            #expect(before.isBehind)

            let applied = try await migrator.migrate(now: db.now)
            #expect(applied == LedgerMigrations.all.map(\.version))
            let after = try await migrator.status()
            #expect(after.isCurrent)
            #expect(after.version == LedgerMigrations.latestVersion)

            // Idempotent: a second run applies nothing and changes nothing.
            #expect(try await migrator.migrate(now: db.now).isEmpty)
            let recorded = try await db.integer("SELECT count(*) FROM \(db.schema.name).schema_migrations")
            #expect(recorded == Int64(LedgerMigrations.all.count))
        }
    }

    @Test func theSeriesMigrationListsTheSeriesOfFactsWrittenBeforeIt() async throws {
        try await TestLedger.with { db in
            try await db.sink().write(Fixtures.batch(Fixtures.grid(subjects: 3, minutes: 5), sequence: 1))
            // A ledger written before migration 8: its facts, no series table.
            try await db.execute("DROP TABLE \(db.schema.name).series")
            try await db.execute("DELETE FROM \(db.schema.name).schema_migrations WHERE version = 8")
            #expect(try await Migrator(database: db.database, schema: db.schema).migrate(now: db.now) == [8])
            let listed = try await db.strings(
                "SELECT series_id::text || '|' || subject FROM \(db.schema.name).series ORDER BY subject")
            let expected = try await db.strings(
                """
                SELECT DISTINCT series_id::text || '|' || subject FROM \(db.schema.name).usage_facts
                ORDER BY 1
                """)
            #expect(listed.count == 3)
            #expect(listed.sorted() == expected.sorted())
        }
    }

    @Test func migrateCreatesMonthPartitionsAroundNow() async throws {
        try await TestLedger.with { db in
            let partitions = try await db.strings(
                """
                SELECT c.relname::text FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent
                JOIN pg_namespace n ON n.oid = p.relnamespace
                WHERE p.relname = 'usage_facts' AND n.nspname = '\(db.schema.name)'
                ORDER BY 1
                """)
            // now = 2026-11-15: one month back through three ahead (plus the current).
            #expect(
                partitions == [
                    "usage_facts_y2026m10", "usage_facts_y2026m11", "usage_facts_y2026m12", "usage_facts_y2027m01",
                    "usage_facts_y2027m02",
                ])
        }
    }

    @Test func behindDatabaseIsRefusedWithTheMigrateCommand() async throws {
        try await TestLedger.with { db in
            try await db.execute(
                "DELETE FROM \(db.schema.name).schema_migrations WHERE version = \(LedgerMigrations.latestVersion)")
            let migrator = Migrator(database: db.database, schema: db.schema)
            #expect(try await migrator.status().isBehind)
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().open(pipeline: "main", lastCommittedSequence: 0)
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("billing-service migrate --database-url") == true)
            #expect(error?.message.contains("behind") == true)
        }
    }

    @Test func unknownNewerVersionIsReportedAsAhead() async throws {
        try await TestLedger.with { db in
            try await db.execute(
                "INSERT INTO \(db.schema.name).schema_migrations (version, name) VALUES (9999, 'from the future')")
            let status = try await Migrator(database: db.database, schema: db.schema).status()
            #expect(status.isAhead)
            #expect(status.unknown == [9999])
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().open(pipeline: "main", lastCommittedSequence: 0)
            }
            #expect(error?.message.contains("upgrade billing-service") == true)
        }
    }

    @Test(arguments: [
        (Timestamp(secondsSinceEpoch: 1_793_491_200), "usage_facts_y2026m11", 2026, 11),  // 2026-11-01T00:00:00Z
        (Timestamp(secondsSinceEpoch: 1_793_491_199), "usage_facts_y2026m10", 2026, 10),  // one second before
        (Timestamp(secondsSinceEpoch: 1_798_761_599), "usage_facts_y2026m12", 2026, 12),  // 2026-12-31T23:59:59Z
        (Timestamp(secondsSinceEpoch: -1), "usage_facts_y1969m12", 1969, 12),
    ])
    func monthPartitionOfAnInstant(_ time: Timestamp, _ name: String, _ year: Int64, _ month: Int64) {
        let partition = MonthPartition(containing: time)
        #expect(partition.tableName == name)
        #expect(partition.year == year && partition.month == month)
        #expect(partition.start <= time && time < partition.end)
    }

    @Test func schemaNamesAreCheckedIdentifiers() {
        #expect(LedgerSchema("billing") != nil)
        #expect(LedgerSchema("t_0123") != nil)
        for bad in ["", "Billing", "1abc", "a-b", "a;drop", "pg_catalog", String(repeating: "a", count: 64)] {
            #expect(LedgerSchema(bad) == nil, "\(bad)")
        }
    }
}
