import Core
import Foundation
import Generator
import Logging
import PostgresNIO
import PostgresSink

/// The PostgreSQL ledger (issue 4): the sink's idempotent write path next to
/// `psql \copy` of the same rows into an identical table, in the same run; and
/// the usage query for one subject over a month on a ledger of many facts, with
/// its EXPLAIN plan. Needs DATABASE_URL (`scripts/bench.sh` starts a throwaway
/// server when none is reachable).
enum LedgerBench {
    static let november = Timestamp(secondsSinceEpoch: 1_793_491_200)  // 2026-11-01T00:00:00Z
    static let logger = Logger(label: "billing-bench") { _ in SwiftLogNoOpLogHandler() }

    static func run(writeFacts: Int, ledgerFacts: Int, queries: Int) async throws {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw BenchError(message: "ledger: DATABASE_URL is not set (scripts/bench.sh ledger starts a server)")
        }
        let url = try DatabaseURL(parsing: text)
        try await withSchema(url, prefix: "bench_write") { database in
            try await writeBench(database: database, url: text, facts: writeFacts)
        }
        try await withSchema(url, prefix: "bench_usage") { database in
            try await queryBench(database: database, facts: ledgerFacts, queries: queries)
        }
    }

    // MARK: Writes

    static func writeBench(database: LedgerDatabase, url: String, facts count: Int) async throws {
        let schema = database.schema
        let facts = makeFacts(count: count)
        let batchSize = 50_000
        let batches = stride(from: 0, to: facts.count, by: batchSize).enumerated().map { index, start in
            batch(Array(facts[start..<min(start + batchSize, facts.count)]), sequence: UInt64(index + 1))
        }
        let sink = PostgresSink(id: "ledger", database: database)
        try await sink.open(pipeline: "bench", lastCommittedSequence: 0)
        let (_, writeSeconds) = try await Bench.time {
            for batch in batches { try await sink.write(batch) }
        }
        let (_, replaySeconds) = try await Bench.time {
            for batch in batches { try await sink.write(batch) }
        }
        let stored = try await integer(database, "SELECT count(*) FROM \(schema.name).usage_facts")
        let mismatches = try await integer(database, schema.totalsMismatchQuery)
        guard stored == count, mismatches == 0 else {
            throw BenchError(
                message: "ledger holds \(stored) facts (expected \(count)), \(mismatches) total mismatches")
        }

        // The baseline: the same rows, exported as COPY text, loaded by psql into an
        // identical (unpartitioned, same primary key and defaults) empty table.
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/facts.copy"
        let columns = [
            "fact_id", "minute", "series_id", "source", "subject", "metric", "dimensions", "from_at", "to_at",
            "from_ns", "to_ns", "quantity", "flags", "amount", "currency", "price_book", "batch_id",
        ].joined(separator: ", ")
        try await execute(
            database, "CREATE TABLE \(schema.name).copy_baseline (LIKE \(schema.name).usage_facts INCLUDING ALL)")
        _ = try Bench.timeShell(
            "psql -X -q '\(url)' -c \"\\copy (SELECT \(columns) FROM \(schema.name).usage_facts) TO '\(file)'\"")
        let psqlSeconds = try Bench.timeShell(
            "psql -X -q '\(url)' -c \"\\copy \(schema.name).copy_baseline (\(columns)) FROM '\(file)'\"")
        let copied = try await integer(database, "SELECT count(*) FROM \(schema.name).copy_baseline")
        guard copied == count else { throw BenchError(message: "psql copied \(copied) rows, expected \(count)") }

        let ours = Double(count) / writeSeconds
        let psql = Double(count) / psqlSeconds
        Bench.row(
            "postgres sink, \(count) new facts, 50K/batch", "\(Bench.format(ours)) facts/s", ">= 0.5x psql",
            "psql \\copy same rows: \(Bench.format(psql)) rows/s; ratio \(String(format: "%.2f", ours / psql))x")
        Bench.row(
            "postgres sink, replay of the same batches", "\(Bench.format(Double(count) / replaySeconds)) facts/s",
            "(nothing written)", "ledger unchanged: \(stored) facts, totals = sums of facts")
    }

    /// `count` facts as metering makes them: random-looking 128-bit ids, 10,000
    /// subjects with one series each, consecutive minutes, exact amounts.
    static func makeFacts(count: Int) -> [UsageFact] {
        let subjects = min(10_000, max(1, count))
        let series = (0..<subjects).map { s in
            SeriesKey(
                source: "edge", subject: "acct-\(s)", metric: "traffic.downlink_bytes",
                dimensions: [
                    Dimension("env", "prod"), Dimension("inbound_tag", "vless-in"),
                    Dimension("node_id", "edge-\(s % 8)"),
                ])
        }
        var rng = SplitMix64(seed: 42)
        var facts: [UsageFact] = []
        facts.reserveCapacity(count)
        for index in 0..<count {
            let minute = november.adding(nanoseconds: Int64(index / subjects) * Timestamp.nanosecondsPerMinute)
            let quantity = rng.next() % 2_000_000_000
            facts.append(
                UsageFact(
                    id: Digest128(high: rng.next(), low: rng.next()), series: series[index % subjects],
                    from: minute, to: minute.adding(nanoseconds: Timestamp.nanosecondsPerMinute), minute: minute,
                    quantity: quantity, amount: Money(scaled: Int128(quantity) * 80_000_000),  // 0.08 per GB
                    currency: "USD", priceBook: "2026-11-01"))
        }
        return facts
    }

    static func batch(_ facts: [UsageFact], sequence: UInt64) -> FactBatch {
        let state = SourceState(
            cursor: SourceCursor(json: "{\"offset\":\(sequence)}"), firstMinute: november,
            lastAttemptedAt: november, lastSucceededAt: november)
        return FactBatch(
            pipeline: "bench", sequence: sequence, source: "edge", facts: facts,
            stateCommit: StateCommit(
                pipeline: "bench", sequence: sequence, source: "edge", sourceState: state, baselines: [:]))
    }

    // MARK: Usage queries

    static func queryBench(database: LedgerDatabase, facts count: Int, queries: Int) async throws {
        let (subjects, loadSeconds) = try await fillLedger(database: database, facts: count)
        let s = database.schema.name
        let stored = try await integer(database, "SELECT count(*) FROM \(s).usage_facts")
        let engine = UsageQueryEngine(database: database)
        var rng = SplitMix64(seed: 7)
        var latencies: [Double] = []
        for index in 0..<(queries + 10) {
            let subject = "acct-\(rng.next() % UInt64(subjects))"
            let query = UsageQuery(
                subject: subject, from: november, to: Timestamp(secondsSinceEpoch: 1_796_083_200),
                granularity: .month)
            let (rows, seconds) = try await Bench.time { try await engine.run(query) }
            guard rows.count == 2 else { throw BenchError(message: "usage of \(subject): \(rows.count) rows") }
            if index >= 10 { latencies.append(seconds) }  // the first ten warm the pool and the cache
        }
        latencies.sort()
        func percentile(_ p: Double) -> String {
            let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            return String(format: "%.1f ms", value * 1_000)
        }
        Bench.row(
            "usage: one subject, one month, \(stored / 1_000_000)M facts",
            "p50 \(percentile(0.5)), p99 \(percentile(0.99))",
            "< 100 ms",
            "\(queries) queries of random subjects via UsageQueryEngine; ledger built in \(Int(loadSeconds)) s")
        let plan = try await explain(
            database, engine: engine,
            UsageQuery(
                subject: "acct-1", from: november, to: Timestamp(secondsSinceEpoch: 1_796_083_200),
                granularity: .month))
        print("EXPLAIN (ANALYZE, BUFFERS) of the usage query for one subject and month:")
        for line in plan { print("    " + line) }
    }

    /// Subjects of a generated ledger: `acct-0` … `acct-4999`.
    static let subjects = 5_000

    /// Fills an empty ledger with `count` facts, generated by the server:
    /// 5,000 subjects (`acct-0`…) × 2 metrics, each with `count / 10,000` minutes
    /// spread over November 2026; minute totals rolled up from those facts exactly
    /// as the sink keeps them (facts of other months, such as those the load
    /// benchmark pushed, already have theirs). Returns the number of subjects and
    /// the seconds it took.
    static func fillLedger(database: LedgerDatabase, facts count: Int) async throws -> (
        subjects: Int, seconds: Double
    ) {
        let subjects = Self.subjects
        let minutesPerSeries = max(1, count / (subjects * 2))
        let step = max(1, 43_200 / minutesPerSeries)
        let s = database.schema.name
        let (_, loadSeconds) = try await Bench.time {
            try await execute(
                database,
                """
                INSERT INTO \(s).usage_facts (fact_id, minute, series_id, source, subject, metric, dimensions,
                    from_at, to_at, from_ns, to_ns, quantity, flags, amount, currency, price_book, batch_id)
                SELECT md5(sub || '/' || met || '/' || m)::uuid, t, md5(sub || '/' || met)::uuid, 'edge',
                    'acct-' || sub, met, '{"env":"prod","node_id":"edge-1"}'::jsonb, t, t + interval '1 minute',
                    0, 60000000000, q, 0, q * 0.00000000008, 'USD', '2026-11-01', 1
                FROM generate_series(0, \(subjects - 1)) AS sub,
                    unnest(ARRAY['traffic.uplink_bytes', 'traffic.downlink_bytes']) AS met,
                    generate_series(0, \(minutesPerSeries - 1)) AS m,
                    LATERAL (SELECT timestamptz '2026-11-01 00:00:00+00' + (m * \(step)) * interval '1 minute' AS t,
                        (hashint4(sub * 100003 + m) & 1073741823)::numeric AS q) v
                """)
            try await execute(
                database,
                """
                INSERT INTO \(s).minute_totals (series_id, minute, currency, source, subject, metric, quantity, amount,
                    fact_count)
                SELECT series_id, minute, currency, min(source), min(subject), min(metric), sum(quantity), sum(amount),
                    count(*)
                FROM \(s).usage_facts
                WHERE minute >= timestamptz '2026-11-01 00:00:00+00' AND minute < timestamptz '2026-12-01 00:00:00+00'
                GROUP BY series_id, minute, currency
                """)
            // What autovacuum does to a ledger that has stood a while: here, at
            // once, so that it does not run during the measurement after the
            // fill. On the totals it marks the pages all-visible (autovacuum
            // after 2% new, migration 3), so the usage query needs no heap page.
            try await execute(database, "VACUUM (ANALYZE) \(s).usage_facts")
            try await execute(database, "VACUUM (ANALYZE) \(s).minute_totals")
        }
        return (subjects, loadSeconds)
    }

    static func explain(_ database: LedgerDatabase, engine: UsageQueryEngine, _ query: UsageQuery) async throws
        -> [String]
    {
        let statement = engine.statement(for: query)
        let sql = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, binds: statement.binds)
        return try await database.withConnection(component: "bench") { connection in
            var lines: [String] = []
            for try await line in try await connection.query(sql, logger: logger).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
    }

    // MARK: Support

    /// Runs `body` with a pool whose schema is a fresh, migrated one, dropped afterwards.
    static func withSchema(
        _ url: DatabaseURL, prefix: String, queryTimeout: Duration = .seconds(30),
        _ body: (LedgerDatabase) async throws -> Void
    ) async throws {
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        guard let schema = LedgerSchema(name) else { throw BenchError(message: "bad schema name \(name)") }
        let database = LedgerDatabase(
            url: url, options: PostgresConnectionOptions(poolSize: 4, queryTimeout: queryTimeout), schema: schema,
            logger: logger)
        do {
            _ = try await Migrator(database: database, schema: schema).migrate(
                now: Timestamp(secondsSinceEpoch: 1_794_700_800))
            try await body(database)
        } catch {
            try? await execute(database, "DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
            await database.shutdown()
            throw error
        }
        try await execute(database, "DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
        await database.shutdown()
    }

    static func execute(_ database: LedgerDatabase, _ sql: String) async throws {
        try await database.withConnection(component: "bench") { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    static func integer(_ database: LedgerDatabase, _ sql: String) async throws -> Int {
        try await database.withConnection(component: "bench") { connection in
            var result = -1
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(
                Int.self)
            {
                result = value
            }
            return result
        }
    }
}
