import Core
import PostgresNIO
import Testing

@testable import PostgresSink

/// Usage rollups from minute totals, and their exact rendering.
@Suite struct UsageQueryTests {
    static let day = Int64(24 * 60)

    /// acct-1: minutes 0, 59, 60 (hour 0, 0, 1) and day 1; acct-2 one minute; a token metric for acct-1.
    static func seed(_ db: TestLedger) async throws {
        let facts = [
            Fixtures.fact(subject: 1, minute: 0, quantity: 100, amount: "0.1"),
            Fixtures.fact(subject: 1, minute: 59, quantity: 200, amount: "0.2"),
            Fixtures.fact(subject: 1, minute: 60, quantity: 18_446_744_073_709_551_615, amount: "0.000000000000000001"),
            Fixtures.fact(subject: 1, minute: 60, quantity: 18_446_744_073_709_551_615, amount: "1", part: 1),
            Fixtures.fact(subject: 1, minute: day + 5, quantity: 5, amount: "0.05"),
            Fixtures.fact(subject: 2, minute: 1, quantity: 7, amount: "0"),
            Fixtures.fact(subject: 1, minute: 2, quantity: 1_000, amount: "0.003", metric: "tokens"),
        ]
        try await db.sink().write(Fixtures.batch(facts, sequence: 1))
    }

    static func query(
        _ granularity: UsageGranularity, subject: String? = nil, metric: String? = nil
    ) -> UsageQuery {
        UsageQuery(
            subject: subject, metric: metric, from: Fixtures.november,
            to: Fixtures.november.adding(nanoseconds: 30 * day * Timestamp.nanosecondsPerMinute),
            granularity: granularity)
    }

    @Test func hourlyForOneSubjectAndMetric() async throws {
        try await TestLedger.with { db in
            try await Self.seed(db)
            let rows = try await UsageQueryEngine(database: db.database).run(
                Self.query(.hour, subject: "acct-1", metric: "uplink_bytes"))
            let rendered = UsageReport.render(rows, format: .csv)
            #expect(
                rendered == """
                    subject,metric,unit,period_start,quantity,amount,currency
                    acct-1,uplink_bytes,byte,2026-11-01T00:00:00Z,300,0.3,USD
                    acct-1,uplink_bytes,byte,2026-11-01T01:00:00Z,36893488147419103230,1.000000000000000001,USD
                    acct-1,uplink_bytes,byte,2026-11-02T00:00:00Z,5,0.05,USD

                    """)
        }
    }

    @Test func monthlyForAllSubjectsAsJSON() async throws {
        try await TestLedger.with { db in
            try await Self.seed(db)
            let rows = try await UsageQueryEngine(database: db.database).run(Self.query(.month))
            #expect(
                UsageReport.render(rows, format: .json) == """
                    [
                      {"subject":"acct-1","metric":"tokens","unit":"token","period_start":"2026-11-01T00:00:00Z","quantity":"1000","amount":"0.003","currency":"USD"},
                      {"subject":"acct-1","metric":"uplink_bytes","unit":"byte","period_start":"2026-11-01T00:00:00Z","quantity":"36893488147419103535","amount":"1.350000000000000001","currency":"USD"},
                      {"subject":"acct-2","metric":"uplink_bytes","unit":"byte","period_start":"2026-11-01T00:00:00Z","quantity":"7","amount":"0","currency":"USD"}
                    ]

                    """)
        }
    }

    @Test func rangeBoundsAreHalfOpenOnMinutes() async throws {
        try await TestLedger.with { db in
            try await Self.seed(db)
            let engine = UsageQueryEngine(database: db.database)
            // [00:59, 01:00): only minute 59 of acct-1's uplink.
            let rows = try await engine.run(
                UsageQuery(
                    subject: "acct-1", metric: "uplink_bytes",
                    from: Fixtures.november.adding(nanoseconds: 59 * Timestamp.nanosecondsPerMinute),
                    to: Fixtures.november.adding(nanoseconds: 60 * Timestamp.nanosecondsPerMinute),
                    granularity: .minute))
            #expect(rows.map(\.quantity) == ["200"])
            // A bound one nanosecond after a minute start excludes that minute.
            let after = try await engine.run(
                UsageQuery(
                    subject: "acct-1", metric: "uplink_bytes",
                    from: Fixtures.november.adding(nanoseconds: 59 * Timestamp.nanosecondsPerMinute + 1),
                    to: Fixtures.november.adding(nanoseconds: 61 * Timestamp.nanosecondsPerMinute),
                    granularity: .minute))
            #expect(
                after.map(\.periodStart) == [Fixtures.november.adding(nanoseconds: 60 * Timestamp.nanosecondsPerMinute)]
            )
        }
    }

    @Test func emptyRangeRendersPlainly() {
        #expect(UsageReport.render([], format: .json) == "[]\n")
        #expect(UsageReport.render([], format: .csv) == "subject,metric,unit,period_start,quantity,amount,currency\n")
        #expect(UsageReport.render([], format: .table) == "no usage in the requested range\n")
    }

    @Test func tableAlignsColumnsAndCSVQuotes() {
        let rows = [
            UsageRow(
                subject: "acct,1", metric: "uplink_bytes", unit: "byte", periodStart: Fixtures.november,
                quantity: "1234567", amount: Money(decimal: "12.5") ?? .zero, currency: "USD"),
            UsageRow(
                subject: "b\"2", metric: "tokens", unit: "token", periodStart: Fixtures.november, quantity: "3",
                amount: .zero, currency: "EUR"),
        ]
        #expect(
            UsageReport.render(rows, format: .table) == """
                PERIOD_START          SUBJECT  METRIC        QUANTITY  UNIT   AMOUNT  CURRENCY
                2026-11-01T00:00:00Z  acct,1   uplink_bytes   1234567  byte     12.5  USD
                2026-11-01T00:00:00Z  b"2      tokens               3  token       0  EUR

                """)
        #expect(
            UsageReport.render(rows, format: .csv) == """
                subject,metric,unit,period_start,quantity,amount,currency
                "acct,1",uplink_bytes,byte,2026-11-01T00:00:00Z,1234567,12.5,USD
                "b""2",tokens,token,2026-11-01T00:00:00Z,3,0,EUR

                """)
    }

    /// A one-subject query runs as a prepared statement, an all-subjects query as
    /// a statement planned for its values: both must give the same rows.
    @Test(arguments: UsageGranularity.allCases)
    func oneSubjectAgreesWithAllSubjects(granularity: UsageGranularity) async throws {
        try await TestLedger.with { db in
            try await Self.seed(db)
            let engine = UsageQueryEngine(database: db.database)
            for metric in [nil, "uplink_bytes", "tokens"] {
                let all = try await engine.run(Self.query(granularity, metric: metric))
                for subject in ["acct-1", "acct-2", "acct-3"] {
                    // Twice: the second call runs the statement the connection already prepared.
                    for _ in 0..<2 {
                        let one = try await engine.run(Self.query(granularity, subject: subject, metric: metric))
                        #expect(one == all.filter { $0.subject == subject }, "\(subject) \(metric ?? "all")")
                    }
                }
                if metric == nil {
                    #expect(all.contains { $0.subject == "acct-1" } && all.contains { $0.subject == "acct-2" })
                }
            }
        }
    }

    /// Migration 3: the totals key covers the usage query, so a subject's range
    /// is an index-only scan (PostgreSQL plans one path per index, index-only
    /// when the index holds every column the query needs; how many heap pages it
    /// still visits depends on vacuum, which other tests' open transactions may
    /// hold back, so only the plan is checked); and vacuum runs after 2% of the
    /// table changed.
    @Test func subjectQueryIsAnIndexOnlyScan() async throws {
        try await TestLedger.with { db in
            try await Self.seed(db)
            let engine = UsageQueryEngine(database: db.database)
            let statement = engine.statement(for: Self.query(.hour, subject: "acct-1"))
            let plan = try await db.database.withTransaction(component: "test") { connection in
                // A table this small would be read whole; make the index the only way in.
                try await connection.query("SET LOCAL enable_seqscan = off", logger: TestLedger.logger)
                try await connection.query("SET LOCAL enable_bitmapscan = off", logger: TestLedger.logger)
                let explain = PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, binds: statement.binds)
                var lines: [String] = []
                for try await line in try await connection.query(explain, logger: TestLedger.logger).decode(
                    String.self)
                {
                    lines.append(line)
                }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("Index Only Scan using minute_totals_pkey"), "\(plan)")
            let options = try await db.strings(
                """
                SELECT unnest(c.reloptions) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = '\(db.schema.name)' AND c.relname = 'minute_totals' ORDER BY 1
                """)
            #expect(
                options == ["autovacuum_vacuum_insert_scale_factor=0.02", "autovacuum_vacuum_scale_factor=0.02"])
        }
    }
}
